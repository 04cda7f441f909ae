"""The spool: replay selection by instant, and retention that never prunes an event not yet emitted."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3

from tap_zohobooks.webhooks.parse import parse_delivery
from tests.helpers import run_tap, tap_config
from tap_zohobooks.webhooks.spool import Spool


def test_replay_bounds_compare_as_instants(tmp_path):
    spool = Spool(tmp_path / "spool.db")
    for i, at in enumerate(["2026-11-01T00:00:00.250000+00:00", "2026-11-01T01:00:00+00:00"]):
        body = f'{{"invoice": {{"invoice_id": "{i}", "last_modified_time": "2026-11-01T00:00:00+0000"}}}}'.encode()
        spool.add(parse_delivery(body, {"organization_id": "1"}, dt.datetime.fromisoformat(at)))
    assert [e.document_id for e in spool.select("2026-11-01T00:00:00Z", "2026-11-01T00:30:00Z")] == ["0"]
    assert [e.document_id for e in spool.select("2026-10-31T19:00:00-0500", None)] == ["0", "1"]
    assert [e.document_id for e in spool.select(None, "2026-11-01T01:30:00+0100", "invoice")] == ["0"]


def test_retention_prunes_old_emitted_deliveries_and_keeps_old_ones_never_emitted(sandbox, tmp_path, caplog):
    """A replay emits one old delivery; the run's retention prunes it, and only it."""
    caplog.set_level("INFO")
    spool_path = tmp_path / "spool.db"
    spool = Spool(spool_path)
    now = dt.datetime.now(dt.timezone.utc)
    ages = {"emitted-old": 100, "waiting-old": 100, "emitted-recent": 1}
    ids = {}
    for i, (name, days) in enumerate(ages.items()):
        body = f'{{"invoice": {{"invoice_id": "{i}", "last_modified_time": "2026-01-01T00:00:00+0000"}}}}'.encode()
        event = parse_delivery(body, {"organization_id": "60001000001"}, now - dt.timedelta(days=days))
        spool.add(event)
        ids[name] = event.event_id
    spool.mark_emitted([e.seq for e in spool.select(event_ids=[ids["emitted-recent"]])])

    replay = run_tap(tap_config(sandbox, tmp_path, mode="replay", webhook_spool_path=str(spool_path),
                                replay_event_ids=[ids["emitted-old"]]))
    assert [r["invoice_id"] for r in replay.records("invoices")] == ["0"]
    assert {e.document_id for e in Spool(spool_path).after(0)} == {"1", "2"}  # the never-emitted one stays
    line = next(r.getMessage() for r in caplog.records if "webhook spool" in r.getMessage())
    assert "2 deliveries" in line and "1 not yet emitted" in line and "pruned 1 emitted" in line
    assert f"oldest received {(now - dt.timedelta(days=100)).date().isoformat()}" in line

    kept = run_tap(tap_config(sandbox, tmp_path, mode="replay", webhook_spool_path=str(spool_path),
                              spool_retention_days=0))  # retention off: emitted, but nothing pruned
    assert len(kept.records("invoices")) == 2 and Spool(spool_path).count() == 2


OLD_TABLE = """CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE,
  received_at TEXT NOT NULL, organization_id TEXT NOT NULL, entity TEXT NOT NULL, event_type TEXT NOT NULL,
  operation TEXT NOT NULL, document_id TEXT NOT NULL, last_modified_time TEXT NOT NULL, payload TEXT NOT NULL,
  payload_sha256 TEXT NOT NULL)"""


def test_a_spool_written_by_the_previous_release_is_upgraded_in_place(tmp_path):
    """Its rows keep their ids, a retry of one is still a duplicate, an unpaid delivery is a new row."""
    path = tmp_path / "spool.db"
    body = b'{"invoice": {"invoice_id": "5", "last_modified_time": "2026-01-05T09:00:00+0000"}}'
    updated = parse_delivery(body, {"organization_id": "1", "event": "invoice.updated"},
                             dt.datetime(2026, 1, 5, 10, tzinfo=dt.timezone.utc))
    payload = '{"invoice_id": "5", "last_modified_time": "2026-01-05T09:00:00+0000"}'
    with sqlite3.connect(path) as db:
        db.execute(OLD_TABLE)
        db.execute("INSERT INTO events (event_id, received_at, organization_id, entity, event_type, operation,"
                   " document_id, last_modified_time, payload, payload_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (updated.event_id, updated.received_at, "1", "invoice", "invoice.updated", "upsert", "5",
                    updated.last_modified_time, payload, hashlib.sha256(payload.encode()).hexdigest()))
    spool = Spool(path)
    old_id = updated.event_id
    assert spool.after(0)[0].version_event_id == old_id and spool.after(0)[0].first_of_version
    assert not spool.add(updated)  # the same delivery again
    unpaid = parse_delivery(body, {"organization_id": "1", "event": "invoice.unpaid"},
                            dt.datetime(2026, 1, 6, 10, tzinfo=dt.timezone.utc))
    assert spool.add(unpaid) and unpaid.version_event_id == old_id != unpaid.event_id
    assert Spool(path).count() == 2  # opening it again changes nothing
