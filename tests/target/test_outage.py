"""BigQuery goes away in the middle of a run: nothing is lost, nothing is doubled in the answers."""

from __future__ import annotations

import pytest

from local_services.bigquery_emulator import BigQueryEmulator
from target_bigquery_audit.retry_queue import RetryQueue
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


def test_a_queued_batch_with_a_refused_row_is_dead_lettered_on_resend(bigquery_emulator, bq, dataset, tmp_path):
    config = target_config(bigquery_emulator, dataset, tmp_path)
    lines = [singer.schema("invoices", INVOICE_SCHEMA, ["invoice_id"]), singer.record("invoices", invoice("001", 1))]
    run_target(config, lines)  # tables exist
    # A batch queued during an outage, one of whose rows BigQuery refuses when it is finally sent.
    RetryQueue(tmp_path / "retry-queue").put("invoices", [
        {"insertId": "queued-ok", "json": {"invoice_id": "002", "organization_id": "org1", "_row_id": "queued-ok"}},
        {"insertId": "queued-bad", "json": {"invoice_id": "003", "no_such_column": "x", "_row_id": "queued-bad"}}])
    run_target(config, [singer.schema("invoices", INVOICE_SCHEMA, ["invoice_id"])])
    ids = {r["invoice_id"] for r in query(bq, f"SELECT invoice_id FROM `{dataset}.invoices`")}
    assert ids == {"001", "002"}
    dead = query(bq, f"SELECT row_id, reason FROM `{dataset}._dead_letter`")
    assert [d["row_id"] for d in dead] == ["queued-bad"] and "no such field" in dead[0]["reason"]
    assert list((tmp_path / "retry-queue").glob("*.json")) == []


def test_outage_during_set_up_queues_and_goes_on(own_emulator, tmp_path):
    """BigQuery is gone when a later stream's SCHEMA arrives (and its table must be created)."""
    config = target_config(own_emulator, "books", tmp_path, batch_size_rows=5, max_retries=2,
                           retry_backoff_max_seconds=0.1, request_timeout_seconds=3)
    bills = singer.schema("estimates", INVOICE_SCHEMA, ["invoice_id"])
    lines = [singer.schema("invoices", INVOICE_SCHEMA, ["invoice_id"])]
    lines += [singer.record("invoices", invoice(f"{i:03d}", i)) for i in range(1, 6)]
    lines += [singer.state({"done": 5}), bills]  # the emulator dies just before this SCHEMA
    lines += [singer.record("estimates", invoice(f"b{i}", i)) for i in range(1, 4)]
    lines += [singer.record("invoices", invoice(f"{i:03d}", i)) for i in range(6, 9)]
    lines += [singer.state({"done": 8})]

    states = run_target(config, lines_that_kill(own_emulator, lines, after=lines.index(bills)))
    assert states[-1] == {"done": 8}
    assert len(list((tmp_path / "retry-queue").glob("*.json"))) >= 2

    own_emulator.start()
    run_target(config, [singer.schema("invoices", INVOICE_SCHEMA, ["invoice_id"]), bills])
    client = own_emulator.client()
    assert {r["invoice_id"] for r in query(client, "SELECT invoice_id FROM `books.invoices`")} == {
        f"{i:03d}" for i in range(1, 9)}
    assert {r["invoice_id"] for r in query(client, "SELECT invoice_id FROM `books.estimates`")} == {"b1", "b2", "b3"}
    assert list((tmp_path / "retry-queue").glob("*.json")) == []
