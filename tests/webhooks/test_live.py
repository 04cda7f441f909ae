"""Webhooks end to end: sandbox → receiver → spool → live tap → target → BigQuery."""

from __future__ import annotations

import datetime as dt

import pytest

from local_services.bigquery_emulator import BigQueryEmulator
from tests.helpers import query, run_tap, run_target, tap_config, target_config
from tests.webhooks.conftest import US_ORG, hook_up


@pytest.fixture
def hooked(sandbox, receiver):
    for entity in ("invoices", "bills"):
        hook_up(sandbox, receiver.url, entity)
    return sandbox


def live_config(sandbox, receiver, tmp_path, **extra) -> dict:
    return tap_config(sandbox, tmp_path, mode="live", webhook_spool_path=str(receiver.spool_path),
                      live_idle_exit_seconds=0.3, **extra)


def test_verified_deliveries_land_once_and_the_state_resumes(hooked, receiver, bigquery_emulator, bq, dataset, tmp_path):
    ids = [hooked.store.create(US_ORG, "invoices", {})["invoice_id"] for _ in range(3)]
    hooked.store.create(US_ORG, "bills", {})
    hooked.hub.wait_idle()
    payload = {"invoice": hooked.store.get(US_ORG, "invoices", ids[0]).doc}
    assert receiver.post(payload, f"?organization_id={US_ORG}&event=invoice.created").json()["status"] == "duplicate"
    result = run_tap(live_config(hooked, receiver, tmp_path))
    assert result.state == {"bookmarks": {"webhook_spool": {"last_seq": 4}}}
    run_target(target_config(bigquery_emulator, dataset, tmp_path), result.lines)
    rows = query(bq, f"SELECT invoice_id, _source, _operation FROM `{dataset}.invoices` ORDER BY invoice_id")
    assert rows == [{"invoice_id": i, "_source": "webhook", "_operation": "upsert"} for i in sorted(ids)]
    assert len(query(bq, f"SELECT * FROM `{dataset}.bills_current`")) == 1
    again = run_tap(live_config(hooked, receiver, tmp_path), state=result.state)
    assert again.records() == []


def test_a_delete_is_a_tombstone_that_leaves_current(hooked, receiver, bigquery_emulator, bq, dataset, tmp_path):
    keep = hooked.store.create(US_ORG, "bills", {})["bill_id"]
    gone = hooked.store.create(US_ORG, "bills", {})["bill_id"]
    hooked.store.delete(US_ORG, "bills", gone)
    hooked.hub.wait_idle()
    result = run_tap(live_config(hooked, receiver, tmp_path))
    run_target(target_config(bigquery_emulator, dataset, tmp_path), result.lines)
    assert [r["bill_id"] for r in query(bq, f"SELECT bill_id FROM `{dataset}.bills_current`")] == [keep]
    history = query(bq, f"SELECT _operation FROM `{dataset}.bills` WHERE bill_id = '{gone}' ORDER BY _operation DESC")
    assert history == [{"_operation": "upsert"}, {"_operation": "delete"}]


def test_a_webhook_and_a_poll_of_the_same_version_make_one_row(hooked, receiver, bigquery_emulator, bq, dataset, tmp_path):
    doc_id = hooked.store.create(US_ORG, "invoices", {})["invoice_id"]
    hooked.hub.wait_idle()
    target = target_config(bigquery_emulator, dataset, tmp_path)
    run_target(target, run_tap(live_config(hooked, receiver, tmp_path)).lines)
    before = len(hooked.requests)
    polled = run_tap(tap_config(hooked, tmp_path, webhook_spool_path=str(receiver.spool_path),
                                organization_ids=[US_ORG]))
    assert f"/books/v3/invoices/{doc_id}" not in {r["path"] for r in hooked.api_calls(since=before)}
    run_target(target, polled.lines)
    rows = query(bq, f"SELECT _row_id, _source FROM `{dataset}.invoices` WHERE invoice_id = '{doc_id}'")
    assert len({r["_row_id"] for r in rows}) == 1
    assert len(query(bq, f"SELECT * FROM `{dataset}.invoices_current` WHERE invoice_id = '{doc_id}'")) == 1


def test_a_replay_leaves_current_unchanged(hooked, receiver, tmp_path):
    emulator = BigQueryEmulator(tmp_path / "bq").start()
    try:
        for _ in range(3):
            doc = hooked.store.create(US_ORG, "invoices", {})
        hooked.store.update(US_ORG, "invoices", doc["invoice_id"], {"reference_number": "LATER"},
                            at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2))
        hooked.hub.wait_idle()
        # streaming_insert: the replay's copies must really land for the view to see through them
        # (storage_write, the default, would skip rows it already wrote).
        target = target_config(emulator, "books", tmp_path, load_method="streaming_insert")
        run_target(target, run_tap(live_config(hooked, receiver, tmp_path)).lines)
        client = emulator.client()
        snapshot = "SELECT * FROM `books.invoices_current` ORDER BY invoice_id"
        before = query(client, snapshot)
        emulator.restart()  # BigQuery's insertId memory is gone: the replay's rows really land again
        replay = run_tap(tap_config(hooked, tmp_path, mode="replay", webhook_spool_path=str(receiver.spool_path)))
        assert {r["_source"] for r in replay.records()} == {"replay"}
        run_target(target, replay.lines)
        assert len(query(client, "SELECT * FROM `books.invoices`")) == 2 * 4
        assert query(client, snapshot) == before
    finally:
        emulator.stop()
