"""Every webhook delivery is an event in `document_events`; only a changed content is a new version."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from tap_zohobooks.webhooks.spool import Spool, SpooledEvent
from tests.helpers import query, run_tap, run_target, tap_config, target_config
from tests.webhooks.conftest import US_ORG, hook_up

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def documented_query(marker: str, dataset: str) -> str:
    """The SQL block of docs/webhooks.md that contains `marker`, run against this test's dataset."""
    blocks = re.findall(r"```sql\n(.*?)```", DOCS.read_text(), re.S)
    found = [block for block in blocks if marker in block]
    assert len(found) == 1, f"no single SQL block in {DOCS.name} mentions {marker!r}"
    return found[0].replace("zoho_books.", f"{dataset}.")


def live_config(sandbox, receiver, tmp_path) -> dict:
    return tap_config(sandbox, tmp_path, mode="live", webhook_spool_path=str(receiver.spool_path),
                      live_idle_exit_seconds=0.3)


def test_an_unpaid_delivery_of_unchanged_content_is_an_event_not_a_version(
        sandbox, receiver, bigquery_emulator, bq, dataset, tmp_path):
    sandbox.config.webhook_retries, sandbox.config.webhook_retry_delay = 1, 0.05
    hook_up(sandbox, receiver.url, "invoices")
    doc_id = sandbox.store.create(US_ORG, "invoices", {})["invoice_id"]
    sandbox.store.update(US_ORG, "invoices", doc_id, {"reference_number": "PO-7"},
                         at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2))
    sandbox.hub.wait_idle()
    target = target_config(bigquery_emulator, dataset, tmp_path)
    first = run_tap(live_config(sandbox, receiver, tmp_path))
    run_target(target, first.lines)
    current = f"SELECT * FROM `{dataset}.invoices_current` WHERE invoice_id = '{doc_id}'"
    before = query(bq, current)

    sandbox.hub.arm_fault("fail", 1)  # the unpaid delivery lands but Zoho sees a failure and sends it again
    sandbox.store.notify_status(US_ORG, "invoices", doc_id, "unpaid")
    sandbox.hub.wait_idle()
    sent = [d for d in sandbox.hub.deliveries if d["event"] == "invoice.unpaid"]
    assert len(sent) == 2  # the delivery and its byte-identical retry: stored once
    spooled = Spool(receiver.spool_path).after(0)
    assert [e.event_type for e in spooled] == ["invoice.created", "invoice.updated", "invoice.unpaid"]

    second = run_tap(live_config(sandbox, receiver, tmp_path), state=first.state)
    assert second.records("invoices") == []  # no new version
    run_target(target, second.lines)

    events = query(bq, f"SELECT event_type, source, version, version_event_id,"
                       f" JSON_VALUE(details, '$.delivery_id') AS delivery_id FROM `{dataset}.document_events`"
                       f" WHERE document_id = '{doc_id}' ORDER BY _arrival_ts")
    assert [e["delivery_id"] for e in events] == [e.event_id for e in spooled]  # the spool row of each
    assert [(e["event_type"], e["source"]) for e in events] == [
        ("invoice.created", "webhook"), ("invoice.updated", "webhook"), ("invoice.unpaid", "webhook")]
    assert events[2]["version_event_id"] == events[1]["version_event_id"] == before[0]["_source_event_id"]
    assert events[2]["version"] == events[1]["version"] != events[0]["version"]
    assert query(bq, current) == before
    assert query(bq, f"SELECT COUNT(*) AS n FROM `{dataset}.invoices` WHERE invoice_id = '{doc_id}'") == [{"n": 2}]

    # A poll that finds the version in the spool (its latest delivery is the unpaid one) reuses the
    # version's identity: no detail call, no second version.
    calls = len(sandbox.requests)
    polled = run_tap(tap_config(sandbox, tmp_path, webhook_spool_path=str(receiver.spool_path),
                                organization_ids=[US_ORG]))
    assert f"/books/v3/invoices/{doc_id}" not in {r["path"] for r in sandbox.api_calls(since=calls)}
    assert [r["_source_event_id"] for r in polled.records("invoices") if r["invoice_id"] == doc_id] == [
        before[0]["_source_event_id"]]
    run_target(target, polled.lines)
    assert query(bq, current) == before

    # The queries docs/webhooks.md gives a finance user answer from these rows.
    flagged = query(bq, documented_query("When did Zoho flag", dataset))
    assert [(r["organization_id"], r["invoice_id"], r["event_type"], r["deliveries"]) for r in flagged] == [
        (US_ORG, doc_id, "invoice.unpaid", 1)]
    trail = query(bq, documented_query("Everything that happened", dataset).replace(
        "INV-00001", before[0]["invoice_number"]))
    # The poll's event carries the arrival of the spooled delivery it reused: it ties with the unpaid one.
    assert [(r["event_type"], r["refers_to_current_version"]) for r in trail][:2] == [
        ("invoice.created", False), ("invoice.updated", True)]
    assert sorted((r["event_type"], r["refers_to_current_version"]) for r in trail[2:]) == [
        ("invoice.changed", True), ("invoice.unpaid", True)]
    per_source = {(r["source"], r["event_type"]): r["events"]
                  for r in query(bq, documented_query("Events per organization", dataset))}
    assert {key: n for key, n in per_source.items() if key[0] == "webhook"} == {
        ("webhook", "invoice.created"): 1, ("webhook", "invoice.updated"): 1, ("webhook", "invoice.unpaid"): 1}
    assert per_source[("poll", "invoice.changed")] == len(polled.records("invoices"))


def delivery(event_type: str, reference: str, received: str = "2026-01-05T10:00:00+00:00") -> SpooledEvent:
    doc = {"invoice_id": "9", "last_modified_time": "2026-01-05T09:00:00+0000", "reference_number": reference}
    return SpooledEvent(event_id="v9", received_at=received, organization_id=US_ORG, entity="invoice",
                        event_type=event_type, operation="upsert", document_id="9",
                        last_modified_time="2026-01-05T09:00:00+00:00", payload=doc)


def test_the_spool_keeps_each_distinct_delivery_and_one_copy_of_a_retry(tmp_path):
    spool = Spool(tmp_path / "spool.db")
    updated, unpaid, retry = delivery("invoice.updated", "A"), delivery("invoice.unpaid", "A"), \
        delivery("invoice.unpaid", "A")
    assert spool.add(updated) and spool.add(unpaid) and not spool.add(retry)
    assert unpaid.version_event_id == updated.version_event_id == updated.event_id == "v9"
    assert unpaid.event_id != updated.event_id  # its own row, the same version
    revision = delivery("invoice.updated", "B")  # a second save in the same second
    assert spool.add(revision) and revision.version_event_id not in ("v9", unpaid.event_id)
    rows = spool.after(0)
    assert [(r.event_type, r.first_of_version) for r in rows] == [
        ("invoice.updated", True), ("invoice.unpaid", False), ("invoice.updated", True)]
    assert [r.event_id for r in spool.select(event_ids=["v9"])] == [updated.event_id, unpaid.event_id]
