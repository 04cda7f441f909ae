"""The load journal's memory stays bounded during a run, while its file still protects the next run."""

from __future__ import annotations

from target_bigquery_audit import journal
from target_bigquery_audit.journal import LoadJournal


def never_asked(job_id: str, table: str, row_ids: list[str]) -> bool:
    raise AssertionError("every job in this journal has its outcome")


def test_a_long_run_keeps_only_its_recent_row_ids_in_memory_and_the_next_run_knows_them_all(tmp_path, monkeypatch):
    monkeypatch.setattr(journal, "KEEP_RECENT_ROWS", 10)
    path = tmp_path / "load-journal" / "ds.jsonl"
    run = LoadJournal(path, never_asked)
    jobs = [[f"row-{job}-{i}" for i in range(4)] for job in range(6)]
    for number, row_ids in enumerate(jobs):
        run.intend(f"job-{number}", "invoices", row_ids)
        run.finished(f"job-{number}", "invoices", row_ids, ok=True)
    run.finished("job-failed", "invoices", ["row-refused"], ok=False)

    in_memory = run.loaded["invoices"]
    assert in_memory == set(jobs[3] + jobs[4] + jobs[5])  # the last 10 rows' jobs (12 ids), older ones forgotten
    assert "row-refused" not in in_memory

    # The next run (no STATE was passed on, so the tap re-sends everything) still skips every loaded row.
    rerun = LoadJournal(path, never_asked)
    assert rerun.loaded["invoices"] == {row for row_ids in jobs for row in row_ids}
