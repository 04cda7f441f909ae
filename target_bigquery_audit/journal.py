"""A local durable journal of writes (load jobs, Storage Write appends), so a re-run never writes a row
twice however the tap re-batches.

After a crash the tap re-sends every record since the last STATE it saw, not necessarily cut into the
same batches, so a deterministic job id alone cannot recognise rows that an earlier job already
loaded. Before a job is submitted its id and row ids are appended here (fsync'd); its outcome is
appended when known. On start, jobs left without an outcome by a killed run are looked up in
BigQuery (done → their rows are loaded). Rows whose id a loaded job carried are skipped.

Pruning: each STATE passed on is marked; on start only the jobs after the second-to-last mark are
kept (the tap never re-sends records before the last STATE it received, and the margin of one mark
covers a STATE written to stdout that the orchestrator did not save), and at least the jobs of the
last KEEP_RECENT_ROWS rows, plus any job whose outcome was
never known: its rows may still wait in the retry queue, and it is resolved before they are re-sent.

Memory during a run: the row ids of jobs resolved at start (the killed run's window above) are kept for
the whole run, since the tap re-sends those records anywhere in it. Of the jobs this run finishes, only
the last KEEP_RECENT_ROWS row ids stay in memory (a tap repeating a record within one run); the file
keeps them all for the next run. So memory does not grow with the run's length (about 140 MiB per
million row ids otherwise).
"""

from __future__ import annotations

import collections
import os
from pathlib import Path
from typing import Callable

import simplejson

KEEP_RECENT_ROWS = 100_000  # ~15 MB of row ids in memory at most beyond the last two STATEs


class LoadJournal:
    def __init__(self, path: Path, job_loaded: Callable[[str, str, list[str]], bool | None]) -> None:
        """`job_loaded(job_id, table, row_ids)`: True if BigQuery says the write landed its rows, False if
        not, None if unknown. A "job" is any write whose rows land all together or not at all."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.loaded: dict[str, set[str]] = {}  # table -> row ids loaded by a journaled job
        self._finished: collections.deque[tuple[str, list[str]]] = collections.deque()  # this run's, oldest first
        self._finished_rows = 0
        self._job_loaded = job_loaded
        self._resolve_and_prune()
        self._handle = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (kept open for the run)

    def _entries(self) -> list[dict]:
        if not self.path.exists():
            return []
        entries = []
        with open(self.path, encoding="utf-8") as handle:
            for line in handle:
                try:
                    entries.append(simplejson.loads(line))
                except ValueError:
                    break  # a line torn by a kill: nothing after it was acknowledged
        return entries

    def _resolve_and_prune(self) -> None:
        entries = self._entries()
        marks = [i for i, e in enumerate(entries) if "state" in e]
        outcome = {e["job"]: e["ok"] for e in entries if "ok" in e}
        if len(marks) >= 2:  # a write without outcome is kept: its rows may wait in the retry queue
            cut = self._recent_cut(entries, marks[-2])
            entries = [e for i, e in enumerate(entries)
                       if i >= cut or ("rows" in e and e["job"] not in outcome)]
        kept = []
        for entry in entries:
            if "rows" not in entry:
                continue
            ok = outcome.get(entry["job"])
            if ok is None:
                ok = self._job_loaded(entry["job"], entry["table"], entry["rows"])
            if ok:
                self.loaded.setdefault(entry["table"], set()).update(entry["rows"])
                kept.append({**entry, "done": True})
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(simplejson.dumps({"state": "resumed"}) + "\n")
            for entry in kept:
                handle.write(simplejson.dumps({"job": entry["job"], "table": entry["table"], "rows": entry["rows"]})
                             + "\n" + simplejson.dumps({"job": entry["job"], "ok": True}) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)

    @staticmethod
    def _recent_cut(entries: list[dict], cut: int) -> int:
        """Where pruning may start: at the second-to-last mark, but not before the last KEEP_RECENT_ROWS
        row ids (a tap whose bookmark is inclusive, or a re-run of the same input, re-sends a little more)."""
        kept = sum(len(e["rows"]) for e in entries[cut:] if "rows" in e)
        while cut > 0 and kept < KEEP_RECENT_ROWS:
            cut -= 1
            kept += len(entries[cut].get("rows", ()))
        return cut

    def _append(self, entry: dict) -> None:
        self._handle.write(simplejson.dumps(entry) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def intend(self, job_id: str, table: str, row_ids: list[str]) -> None:
        self._append({"job": job_id, "table": table, "rows": row_ids})

    def finished(self, job_id: str, table: str, row_ids: list[str], ok: bool) -> None:
        self._append({"job": job_id, "ok": ok})
        if ok:
            self.loaded.setdefault(table, set()).update(row_ids)
            self._finished.append((table, row_ids))
            self._finished_rows += len(row_ids)
            self._forget_older_than_recent()

    def _forget_older_than_recent(self) -> None:
        """Keep in memory the row ids of this run's last KEEP_RECENT_ROWS loaded rows (module docstring)."""
        while self._finished_rows - len(self._finished[0][1]) >= KEEP_RECENT_ROWS:
            table, row_ids = self._finished.popleft()
            self._finished_rows -= len(row_ids)
            self.loaded[table].difference_update(row_ids)

    def state_passed_on(self) -> None:
        self._append({"state": "passed"})
