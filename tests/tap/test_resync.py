"""`resync_from` over the sandbox: a re-sync from a date is one setting, applied once per value."""

from __future__ import annotations

import datetime as dt

from tap_zohobooks.events import parse_instant, utc_text
from tap_zohobooks.resync import STATE_KEY
from tests.helpers import run_tap
from tests.tap.conftest import US_ORG, US_ORG2

ENTITIES = {"invoices": ("invoices", "invoice_id"), "bills": ("bills", "bill_id")}


def modified_since(sandbox, entity: str, since: dt.datetime) -> set[tuple[str, str]]:
    return {(o, r.doc_id) for o in (US_ORG, US_ORG2) for r in sandbox.store.records(o, entity)
            if parse_instant(r.doc["last_modified_time"]) > since}


def emitted(result, stream: str, key: str) -> list[tuple[str, str]]:
    return [(r["organization_id"], r[key]) for r in result.records(stream)]


def a_date_between_documents(sandbox, fraction: float) -> dt.datetime:
    """A whole second strictly between two invoice modification times, about `fraction` of the way."""
    times = sorted({parse_instant(r.doc["last_modified_time"]) for r in sandbox.store.records(US_ORG, "invoices")})
    k = int(len(times) * fraction)
    k = next(i for i in range(k, len(times) - 1) if times[i + 1] - times[i] >= dt.timedelta(seconds=2))
    return times[k] + dt.timedelta(seconds=1)


def test_resync_from_re_emits_once_per_value(sandbox, config):
    state = run_tap(config).state

    since = a_date_between_documents(sandbox, 0.5)
    resync = {**config, "resync_from": utc_text(since)}
    second = run_tap(resync, state=state)
    for stream, (entity, key) in ENTITIES.items():
        got = emitted(second, stream, key)
        assert len(got) == len(set(got)) and set(got) == modified_since(sandbox, entity, since), stream
    assert modified_since(sandbox, "invoices", since) != {(o, r.doc_id) for o in (US_ORG, US_ORG2)
                                                          for r in sandbox.store.records(o, "invoices")}
    for stream in ENTITIES:
        for partition in second.state["bookmarks"][stream]["partitions"]:
            assert partition[STATE_KEY] == utc_text(since)
            assert partition["replication_key_value"] == next(  # the bookmark did not move back
                p for p in state["bookmarks"][stream]["partitions"] if p["context"] == partition["context"]
            )["replication_key_value"]

    third = run_tap(resync, state=second.state)  # same value: continues from the bookmark
    assert third.records() == []

    earlier = a_date_between_documents(sandbox, 0.2)
    fourth = run_tap({**config, "resync_from": earlier.strftime("%Y-%m-%dT%H:%M:%SZ")}, state=third.state)
    assert set(emitted(fourth, "invoices", "invoice_id")) == modified_since(sandbox, "invoices", earlier)

    # A date after the bookmark re-syncs nothing and skips nothing: an edit made since is still synced.
    invoice = sorted(sandbox.store.records(US_ORG, "invoices"), key=lambda r: r.doc_id)[0]
    sandbox.store.update(US_ORG, "invoices", invoice.doc_id, {"reference_number": "AFTER-RESYNC"})
    fifth = run_tap({**config, "resync_from": "2100-01-01T00:00:00Z"}, state=fourth.state)
    assert emitted(fifth, "invoices", "invoice_id") == [(US_ORG, invoice.doc_id)]
    assert emitted(fifth, "bills", "bill_id") == []
