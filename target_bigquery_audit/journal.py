"""A local durable journal of load jobs, so a re-run never loads a row twice however the tap re-batches.

After a crash the tap re-sends every record since the last STATE it saw, not necessarily cut into the
same batches, so a deterministic job id alone cannot recognise rows that an earlier job already
loaded. Before a job is submitted its id and row ids are appended here (fsync'd); its outcome is
appended when known. On start, jobs left without an outcome by a killed run are looked up in
BigQuery (done → their rows are loaded). Rows whose id a loaded job carried are skipped.

Pruning: each STATE passed on is marked; on start only the jobs after the second-to-last mark are
kept (the tap never re-sends records before the last STATE it received, and the margin of one mark
covers a STATE written to stdout that the orchestrator did not save).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import simplejson


class LoadJournal:
    def __init__(self, path: Path, job_loaded: Callable[[str], bool | None]) -> None:
        """`job_loaded(job_id)`: True if BigQuery says the job loaded its rows, False if not, None if unknown."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.loaded: dict[str, set[str]] = {}  # table -> row ids loaded by a journaled job
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
        if len(marks) >= 2:
            entries = entries[marks[-2]:]
        outcome = {e["job"]: e["ok"] for e in entries if "ok" in e}
        kept = []
        for entry in entries:
            if "rows" not in entry:
                continue
            ok = outcome.get(entry["job"])
            if ok is None:
                ok = self._job_loaded(entry["job"])
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

    def state_passed_on(self) -> None:
        self._append({"state": "passed"})
