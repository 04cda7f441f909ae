"""The run summary's count of rows left in the retry queue, without reading every queued batch."""

from __future__ import annotations

import json

from target_bigquery_audit.retry_queue import RetryQueue


def rows(n: int, start: int = 0) -> list[dict]:
    return [{"insertId": f"id-{i}", "json": {"total": "1.10"}} for i in range(start, start + n)]


def test_rows_waiting_are_counted_exactly_including_batches_an_older_version_queued(tmp_path):
    queue = RetryQueue(tmp_path / "queue")
    queue.put("invoices", rows(2))
    queue.put("bills", rows(3, 2))
    # A batch queued by a version that named files without their row count.
    (tmp_path / "queue" / "00000000000000000001-abcdef01.json").write_text(
        json.dumps({"table": "invoices", "rows": rows(4, 5)}))

    assert queue.row_count() == 9
    assert sum(len(batch) for _, _, batch in queue.batches()) == 9
    assert [table for _, table, _ in queue.batches()] == ["invoices", "invoices", "bills"]  # oldest first
