"""Deletes with webhooks off: the reconcile pass of polling; voids stay; a cut listing emits nothing."""

from __future__ import annotations

from tap_zohobooks.reconcile import decode_ids, encode_ids
from tests.audit.conftest import US_ORG2, sync
from tests.helpers import query, run_tap, tap_config, target_config


def test_ids_in_state_round_trip_compactly():
    ids = {str(460000000012345 + 7 * i) for i in range(5000)}
    text = encode_ids(ids)
    assert decode_ids(text) == ids and len(text) < 5000
    odd = {"a-1", "0042", "77"}
    assert decode_ids(encode_ids(odd)) == odd and decode_ids(encode_ids([])) == set()


def test_a_delete_without_webhooks_leaves_current_after_the_reconcile_pass_and_a_void_stays(
        sandbox, bigquery_emulator, bq, dataset, tmp_path):
    poll = tap_config(sandbox, tmp_path, organization_ids=[US_ORG2], reconcile_interval_hours=0)
    target = target_config(bigquery_emulator, dataset, tmp_path)
    state = sync(poll, target).state
    bills = sorted(r.doc_id for r in sandbox.store.records(US_ORG2, "bills"))
    gone, voided = bills[0], bills[1]
    sandbox.store.delete(US_ORG2, "bills", gone)
    sandbox.store.void(US_ORG2, "bills", voided)
    result = sync(poll, target, state=state)
    tombstones = [r for r in result.records("bills") if r["_operation"] == "delete"]
    assert [(r["bill_id"], r["_source"]) for r in tombstones] == [(gone, "reconcile")]
    assert [(e["document_id"], e["source"], e["event_type"]) for e in result.events() if e["source"] == "reconcile"] \
        == [(gone, "reconcile", "bill.deleted")]
    current = {r["bill_id"]: r["status"] for r in query(bq, f"SELECT bill_id, status FROM `{dataset}.bills_current`")}
    assert gone not in current and current[voided] == "void"
    assert set(current) == set(bills) - {gone}
    again = sync(poll, target, state=result.state)  # known ids no longer hold it: nothing more
    assert [r for r in again.records() if r["_operation"] == "delete"] == []


def test_a_listing_cut_by_the_quota_emits_no_tombstone(sandbox, config_for_cut, tmp_path):
    poll, state, deleted = config_for_cut
    records = sandbox.store.records

    def quota_on_second_reconcile_page(org_id, entity):
        calls = [r for r in sandbox.api_calls("/bills") if r["path"].endswith("/bills")]
        if entity == "bills" and calls and "last_modified_time" not in calls[-1]["query"] \
                and str(calls[-1]["query"].get("page")) == "1":
            sandbox.faults.arm("limit_45", 1, "/bills")
        return records(org_id, entity)

    sandbox.store.records = quota_on_second_reconcile_page
    result = run_tap(poll, state=state)
    assert [r for r in result.records() if r["_operation"] == "delete"] == []
    after, before = (s["bookmarks"]["bills"]["partitions"][0] for s in (result.state, state))
    assert decode_ids(after["known_ids"]) >= set(deleted)  # still known: the next full listing decides
    assert after["reconciled_at"] == before["reconciled_at"]  # not counted as a reconciliation


def test_a_daily_budget_that_cuts_the_listing_emits_no_tombstone(sandbox, config_for_cut):
    poll, state, _ = config_for_cut
    before = len(sandbox.requests)
    full = run_tap(poll, state=state)
    calls = len(sandbox.api_calls(since=before))
    assert [r["_source"] for r in full.records() if r["_operation"] == "delete"]  # uncut: the deletes are found
    cut = run_tap({**poll, "daily_call_budget": calls - 8}, state=state)
    assert [r for r in cut.records() if r["_operation"] == "delete"] == []
