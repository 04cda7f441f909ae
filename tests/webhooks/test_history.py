"""The webhook history: Zoho's workflow logs say which deliveries failed; exactly those are backfilled."""

from __future__ import annotations

from tests.helpers import run_tap, tap_config
from tests.webhooks.conftest import SECRET, US_ORG, hook_up


def test_history_backfills_exactly_the_missed_deliveries(sandbox, receiver, tmp_path):
    hook_up(sandbox, receiver.url)
    sandbox.hub.arm_fault("drop", 2)  # never sent, logged as failures
    sandbox.hub.arm_fault("fail", 1)  # sent and spooled, but Zoho logged a failure (the reply was lost)
    ids = [sandbox.store.create(US_ORG, "invoices", {})["invoice_id"] for _ in range(6)]
    sandbox.hub.wait_idle()
    dropped, failed_but_received = ids[:2], ids[2]

    before = len(sandbox.requests)
    result = run_tap(tap_config(sandbox, tmp_path, mode="history", webhook_spool_path=str(receiver.spool_path),
                                organization_ids=[US_ORG]))
    backfilled = result.records("invoices")
    assert sorted(r["invoice_id"] for r in backfilled) == sorted(dropped)
    assert {r["_source"] for r in backfilled} == {"history"}
    audit = {r["record_id"]: r for r in result.records("webhook_history")}
    assert set(audit) == set(ids)
    assert [audit[i]["backfilled"] for i in ids] == [True, True, False, False, False, False]
    assert audit[failed_but_received]["status"] == "failure" and audit[failed_but_received]["received_by_receiver"]
    details = [r["path"] for r in sandbox.api_calls(since=before) if r["path"].startswith("/books/v3/invoices/")]
    assert sorted(details) == sorted(f"/books/v3/invoices/{i}" for i in dropped)  # only the missed ones fetched
    assert not [r for r in sandbox.api_calls(since=before) if r["path"] == "/books/v3/invoices"]  # no polling

    events = result.events()
    assert sorted((e["document_id"], e["event_type"], e["source"]) for e in events) == sorted(
        (i, "invoice.created", "history") for i in dropped)
    assert {e["version_event_id"] for e in events} == {r["_source_event_id"] for r in backfilled}


def test_three_history_runs_fetch_each_missed_document_once(sandbox, receiver, tmp_path):
    """Each run re-reads the overlap window; what an earlier run backfilled is kept in state, not re-fetched."""
    hook_up(sandbox, receiver.url)
    sandbox.hub.arm_fault("drop", 2)
    ids = [sandbox.store.create(US_ORG, "invoices", {})["invoice_id"] for _ in range(4)]
    sandbox.hub.wait_idle()
    config = tap_config(sandbox, tmp_path, mode="history", webhook_spool_path=str(receiver.spool_path),
                        organization_ids=[US_ORG])
    before, state, runs = len(sandbox.requests), None, []
    for _ in range(3):
        runs.append(run_tap(config, state=state))
        state = runs[-1].state
    assert [sorted(r["invoice_id"] for r in run.records("invoices")) for run in runs] == [sorted(ids[:2]), [], []]
    for run in runs:  # every run still reports every log of the window
        assert {r["record_id"] for r in run.records("webhook_history")} == set(ids)
    details = [r["path"] for r in sandbox.api_calls(since=before) if r["path"].startswith("/books/v3/invoices/")]
    assert sorted(details) == sorted(f"/books/v3/invoices/{i}" for i in ids[:2])  # each exactly once
    handled = state["bookmarks"]["webhook_history"]["partitions"][0]["handled"]
    assert sorted(key.split("@")[0] for key in handled) == sorted(f"invoice/{i}" for i in ids[:2])


def test_polls_read_the_history_only_when_webhooks_arrive_and_never_fail_on_it(sandbox, receiver, tmp_path):
    config = tap_config(sandbox, tmp_path, webhook_spool_path=str(receiver.spool_path), organization_ids=[US_ORG])
    run_tap(config)
    assert not sandbox.api_calls("/settings/workflowlogs")  # empty spool: no webhooks in use, no call spent
    receiver.post({"invoice": {"invoice_id": "1", "last_modified_time": "2026-01-02T03:04:05+0000"}},
                  f"?organization_id={US_ORG}")
    result = run_tap({**config, "webhook_history_path": "/settings/nonexistent"})
    assert sandbox.api_calls("/settings/nonexistent")
    assert result.records("invoices")  # the poll itself went on


def test_the_daily_quota_stops_the_history_cleanly(sandbox, receiver, tmp_path, caplog):
    sandbox.hub.register(US_ORG, "invoices", f"{receiver.url}/hook?organization_id={US_ORG}", SECRET)
    sandbox.hub.arm_fault("drop", 3)
    for _ in range(3):
        sandbox.store.create(US_ORG, "invoices", {})
    sandbox.hub.wait_idle()
    sandbox.faults.arm("limit_45", count=1, path_contains="/invoices/")  # the first backfill hits the quota
    result = run_tap(tap_config(sandbox, tmp_path, mode="history", webhook_spool_path=str(receiver.spool_path),
                                organization_ids=[US_ORG]))
    assert "daily API quota" in caplog.text
    assert result.records("invoices") == []  # stopped, not crashed; the next run backfills them
