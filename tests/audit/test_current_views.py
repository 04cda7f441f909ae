"""`<table>_current` follows the source versions: re-runs and replays never change what it shows
(`document_events` only gains the replay's own events)."""

from __future__ import annotations

import datetime as dt

import pytest

from local_services.bigquery_emulator import BigQueryEmulator
from tap_zohobooks.webhooks.spool import Spool
from tests.audit.conftest import US_ORG, current_views, sync
from tests.helpers import query, run_tap, tap_config, target_config
from tests.webhooks.conftest import hook_up


@pytest.fixture
def emulator(tmp_path):
    """A private emulator, restarted by the test to forget the insertIds it saw (copies really land)."""
    with BigQueryEmulator(tmp_path / "bq") as running:
        yield running


def test_reruns_of_every_poll_and_a_replay_of_the_spool_leave_every_current_view_identical(
        sandbox, receiver, emulator, tmp_path):
    sandbox.config.share_without_last_modified_time = 0.3  # some documents without last_modified_time
    for entity in ("invoices", "bills"):
        hook_up(sandbox, receiver.url, entity)
    spool = str(receiver.spool_path)
    poll = tap_config(sandbox, tmp_path, organization_ids=[US_ORG], webhook_spool_path=spool)
    # streaming_insert: its de-duplication ends with the emulator's restart, so the re-runs below really
    # add copies for the views to see through (storage_write and batch_load would not write them at all).
    target = target_config(emulator, "books", tmp_path, load_method="streaming_insert")
    first = sync(poll, target)

    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2)
    invoices = sorted(sandbox.store.records(US_ORG, "invoices"), key=lambda r: r.doc_id)
    bills = sorted(sandbox.store.records(US_ORG, "bills"), key=lambda r: r.doc_id)
    for rec in invoices[:3] + bills[:6]:
        entity = "invoices" if rec in invoices else "bills"
        sandbox.store.update(US_ORG, entity, rec.doc_id, {"reference_number": "EDIT 1"}, at=later)
        sandbox.store.update(US_ORG, entity, rec.doc_id, {"reference_number": "EDIT 2"}, at=later)  # same second
    sandbox.store.void(US_ORG, "bills", bills[7].doc_id, at=later)
    sandbox.store.delete(US_ORG, "bills", bills[8].doc_id)
    sandbox.hub.wait_idle()
    sync(tap_config(sandbox, tmp_path, mode="live", webhook_spool_path=spool, live_idle_exit_seconds=0.3), target)
    second = sync(poll, target, state=first.state)
    assert second.records("bills")

    client = emulator.client()
    before = current_views(client, "books")
    assert {"invoices_current", "bills_current", "vendor_payments_current"} <= set(before)
    assert any('"last_modified_time": null' in row for row in before["bills_current"])
    rows_before = query(client, "SELECT COUNT(*) AS n FROM `books.bills`")[0]["n"]

    emulator.restart()  # BigQuery's insertId memory is gone: every copy below really lands
    sync(poll, target, state=first.state)  # the second poll again
    sync(poll, target)  # every poll again, state reset
    replay = run_tap(tap_config(sandbox, tmp_path, mode="replay", webhook_spool_path=spool))
    assert replay.records("invoices") and {r["_source"] for r in replay.records()} == {"replay"}
    sync(tap_config(sandbox, tmp_path, mode="replay", webhook_spool_path=spool), target)

    assert query(client, "SELECT COUNT(*) AS n FROM `books.bills`")[0]["n"] > rows_before
    after = current_views(client, "books")
    events_before, events_after = before.pop("document_events_current"), after.pop("document_events_current")
    assert after == before
    # Events are observations, not versions: the replay is recorded (one row per spooled delivery), nothing else.
    assert set(events_before) <= set(events_after)
    added = set(events_after) - set(events_before)
    assert len(added) == Spool(spool).count() and all('"source": "replay"' in row for row in added)
