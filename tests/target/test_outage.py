"""BigQuery goes away in the middle of a run: nothing is lost, nothing is doubled in the answers."""

from __future__ import annotations

import pytest

from local_services.bigquery_emulator import BigQueryEmulator
from tests.helpers import query, run_target, target_config
from tests.target import singer
from tests.target.singer import INVOICE_SCHEMA, invoice


@pytest.fixture
def own_emulator(tmp_path):
    emulator = BigQueryEmulator(tmp_path / "bq").start()
    yield emulator
    emulator.stop()


def lines_that_kill(emulator: BigQueryEmulator, lines: list[str], after: int):
    for index, line in enumerate(lines):
        if index == after:
            emulator.kill()
        yield line


def test_outage_mid_run_loses_nothing(own_emulator, tmp_path):
    config = target_config(own_emulator, "books", tmp_path, batch_size_rows=10, max_retries=2,
                           retry_backoff_max_seconds=0.1, request_timeout_seconds=3)
    lines = [singer.schema("invoices", INVOICE_SCHEMA, ["invoice_id"])]
    for i in range(1, 41):
        lines.append(singer.record("invoices", invoice(f"{i:03d}", i)))
        if i % 10 == 0:
            lines.append(singer.state({"bookmarks": {"invoices": {"done": i}}}))

    states = run_target(config, lines_that_kill(own_emulator, lines, after=15))
    queue = tmp_path / "retry-queue"
    assert len(list(queue.glob("*.json"))) >= 1  # what BigQuery did not take is on disk
    assert states and states[-1] == {"bookmarks": {"invoices": {"done": 40}}}  # passed on only once durable

    own_emulator.start()  # BigQuery is back (same data directory and port)
    run_target(config, [singer.schema("invoices", INVOICE_SCHEMA, ["invoice_id"]),
                        singer.record("invoices", invoice("041", 41))])
    client = own_emulator.client()
    rows = query(client, "SELECT _row_id, invoice_id FROM `books.invoices`")
    assert {r["invoice_id"] for r in rows} == {f"{i:03d}" for i in range(1, 42)}
    assert len(query(client, "SELECT * FROM `books.invoices_current`")) == 41
    assert list(queue.glob("*.json")) == []
