"""A durable local queue of batches BigQuery did not take, re-sent first when it answers again.

Each batch is one file written to a temporary name, fsync'd, renamed into place, and the directory
fsync'd, so after a crash a batch is either wholly in the queue or not there (and then its STATE was
never passed on, so the tap sends it again). Files are named by time, so batches are re-sent in order,
and carry their row count (`<time>-<id>-<rows>r.json`), so counting what waits reads no batch.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Callable, Iterator

import simplejson


def default_directory(configured: str | None = None) -> Path:
    """A stable absolute queue directory, whatever directory the run starts in.

    Beside the Meltano project's state when run by Meltano (`MELTANO_PROJECT_ROOT`), else per user
    (`$XDG_STATE_HOME` or `~/.local/state`). A relative `retry_queue_dir` is taken from the Meltano
    project root when there is one."""
    root = os.environ.get("MELTANO_PROJECT_ROOT")
    if configured:
        path = Path(configured).expanduser()
        return (Path(root) / path if root and not path.is_absolute() else path).absolute()
    if root:
        return Path(root).absolute() / ".meltano" / "run" / "target-bigquery-audit" / "retry-queue"
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state).absolute() / "target-bigquery-audit" / "retry-queue"


class RetryQueue:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def _fsync_dir(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def put(self, table: str, rows: list[dict]) -> Path:
        """Store a batch of (insertId, row) pairs for `table` durably; returns its file."""
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}-{len(rows)}r.json"
        final = self.directory / name
        tmp = self.directory / f".{name}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            simplejson.dump({"table": table, "rows": rows}, handle, use_decimal=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, final)
        self._fsync_dir()
        return final

    def pending(self) -> list[Path]:
        return sorted(p for p in self.directory.glob("*.json") if not p.name.startswith("."))

    def __len__(self) -> int:
        return len(self.pending())

    def row_count(self) -> int:
        """Rows waiting, from the file names (a file of an older version, named without its count, is read)."""
        total = 0
        for path in self.pending():
            count = path.stem.rsplit("-", 1)[-1]
            if count.endswith("r") and count[:-1].isdigit():
                total += int(count[:-1])
            else:
                with open(path, encoding="utf-8") as handle:
                    total += len(simplejson.load(handle, use_decimal=True)["rows"])
        return total

    def batches(self) -> Iterator[tuple[Path, str, list[dict]]]:
        for path in self.pending():
            with open(path, encoding="utf-8") as handle:
                data = simplejson.load(handle, use_decimal=True)
            yield path, data["table"], data["rows"]

    def drain(self, send: Callable[[str, list[dict]], None]) -> int:
        """Send queued batches oldest first; stop at the first that fails (it stays queued).

        `send` raises when BigQuery is still unreachable. Returns how many batches were sent.
        """
        sent = 0
        for path, table, rows in self.batches():
            send(table, rows)
            path.unlink()
            self._fsync_dir()
            sent += 1
        return sent
