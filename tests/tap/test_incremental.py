"""Incremental sync: bookmarks per stream and organization, resume, lookback, dedup, exact values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tap_zohobooks.events import event_id, parse_instant, version_token
from tests.helpers import run_tap
from tests.tap.conftest import US_ORG, US_ORG2

STREAMS = ["invoices", "bills", "purchase_orders", "customer_payments", "vendor_payments"]


def detail_ids(sandbox, since: int) -> set[str]:
    return {r["path"].rsplit("/", 1)[1] for r in sandbox.api_calls(since=since) if r["path"].count("/") == 4}


def test_first_run_emits_every_document_once(sandbox, config):
    result = run_tap(config)
    for stream, entity in zip(STREAMS, ["invoices", "bills", "purchaseorders", "customerpayments", "vendorpayments"]):
        expected = {(o, r.doc_id) for o in (US_ORG, US_ORG2) for r in sandbox.store.records(o, entity)}
        key = next(k for k in result.records(stream)[0] if k.endswith("_id") and k != "organization_id")
        got = [(r["organization_id"], r[key]) for r in result.records(stream)]
        assert len(got) == len(set(got)) and set(got) == expected, stream


def test_one_bookmark_per_stream_and_organization(sandbox, config):
    state = run_tap(config).state
    for stream in STREAMS:
        partitions = state["bookmarks"][stream]["partitions"]
        assert {p["context"]["organization_id"] for p in partitions} == {US_ORG, US_ORG2}
        for p in partitions:
            assert p["replication_key"] == "last_modified_time"
            parse_instant(p["replication_key_value"])  # a UTC instant
            assert p["replication_key_value"].endswith("+00:00")


def test_second_run_without_changes_lists_only_and_emits_nothing(sandbox, config):
    state = run_tap(config).state
    before = len(sandbox.requests)
    again = run_tap(config, state=state)
    assert again.records() == []
    calls = [r for r in sandbox.api_calls(since=before) if not r["path"].endswith("/organizations")]
    assert calls and all(r["path"].count("/") == 3 for r in calls)  # list calls only
    assert all("last_modified_time" in r["query"] for r in calls)


def test_resume_fetches_only_changed_documents(sandbox, config):
    state = run_tap(config).state
    invoices = sorted(sandbox.store.records(US_ORG, "invoices"), key=lambda r: r.last_modified)
    edited = [invoices[0].doc_id, invoices[5].doc_id]
    for doc_id in edited:
        sandbox.store.update(US_ORG, "invoices", doc_id, {"reference_number": "EDITED"})
    new_bill = sandbox.store.create(US_ORG2, "bills", {})["bill_id"]
    before = len(sandbox.requests)
    result = run_tap(config, state=state)
    assert sorted(r["invoice_id"] for r in result.records("invoices")) == sorted(edited)
    assert [r["bill_id"] for r in result.records("bills")] == [new_bill]
    assert all(r["reference_number"] == "EDITED" for r in result.records("invoices"))
    assert detail_ids(sandbox, before) == set(edited) | {new_bill}


def test_lookback_catches_an_edit_in_the_bookmarked_second(sandbox, config):
    state = run_tap(config).state
    mark = next(p for p in state["bookmarks"]["bills"]["partitions"] if p["context"]["organization_id"] == US_ORG)
    same_second = parse_instant(mark["replication_key_value"])
    victim = sorted(sandbox.store.records(US_ORG, "bills"), key=lambda r: r.last_modified)[3].doc_id
    sandbox.store.update(US_ORG, "bills", victim, {"reference_number": "LATE"}, at=same_second)
    without = run_tap({**config, "lookback_seconds": 0}, state=state)
    assert without.records("bills") == []  # Zoho's filter is strictly greater: this edit is invisible
    with_lookback = run_tap(config, state=state)
    assert [r["bill_id"] for r in with_lookback.records("bills")] == [victim]


def test_duplicated_rows_across_pages_are_emitted_once(sandbox, config):
    sandbox.config.duplicate_rows_across_pages = True
    at = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.timezone.utc)
    created = {sandbox.store.create(US_ORG2, "purchaseorders", {}, at=at)["purchaseorder_id"] for _ in range(25)}
    result = run_tap({**config, "page_size": 10, "organization_ids": [US_ORG2]})
    ids = [r["purchaseorder_id"] for r in result.records("purchase_orders")]
    assert len(ids) == len(set(ids))
    assert created <= set(ids)
    assert len(ids) == len(sandbox.store.records(US_ORG2, "purchaseorders"))


def test_edit_during_a_scan_loses_nothing(sandbox, config):
    """An edit between two list pages moves a row to the end; plain page+1 paging would skip one."""
    invoices = sorted(sandbox.store.records(US_ORG, "invoices"), key=lambda r: r.last_modified)
    records, edited = sandbox.store.records, []

    def edit_before_second_page(org_id, entity):
        list_calls = [r for r in sandbox.api_calls("/invoices") if r["path"].count("/") == 3]
        if entity == "invoices" and len(list_calls) == 1 and not edited:
            edited.append(sandbox.store.update(US_ORG, "invoices", invoices[2].doc_id, {"reference_number": "MOVED"}))
        return records(org_id, entity)

    sandbox.store.records = edit_before_second_page  # the sandbox's own hook: a bookkeeper edits mid-scan
    result = run_tap({**config, "page_size": 10, "organization_ids": [US_ORG]})
    assert edited
    assert {r["invoice_id"] for r in result.records("invoices")} == {r.doc_id for r in invoices}


def test_records_without_last_modified_time_keep_it_null_and_get_a_content_version(sandbox, config):
    sandbox.config.vendorpayments_without_last_modified_time = True
    result = run_tap({**config, "organization_ids": [US_ORG2]})
    records = result.records("vendor_payments")
    assert records and all(r["last_modified_time"] is None for r in records)
    assert all("last_modified_time" not in r["_raw"] for r in records)
    for r in records:
        version = version_token(r["_raw"])
        assert version.startswith("sha256:")
        assert r["_source_event_id"] == event_id(US_ORG2, "vendor_payment", r["payment_id"], version, "upsert")


def test_an_unchanged_document_without_last_modified_time_is_neither_fetched_nor_sent_again(sandbox, config):
    sandbox.config.share_without_last_modified_time = 0.5
    config = {**config, "organization_ids": [US_ORG2]}
    first = run_tap(config)
    undated = [r for r in first.records() if "last_modified_time" in r and r["last_modified_time"] is None]
    assert undated and len(undated) < len(first.records())
    before = len(sandbox.requests)
    again = run_tap(config, state=first.state)
    assert again.records() == []
    assert detail_ids(sandbox, before) == set()


def test_every_edit_of_a_document_without_last_modified_time_is_a_distinct_version(sandbox, config):
    sandbox.config.share_without_last_modified_time = 1.0
    config = {**config, "organization_ids": [US_ORG2]}
    runs = [run_tap(config)]
    bill = sandbox.store.records(US_ORG2, "bills")[0]
    original = bill.doc["reference_number"]
    for reference in ("FIRST EDIT", "SECOND EDIT", original):  # the last edit returns to the first content
        sandbox.store.update(US_ORG2, "bills", bill.doc_id, {"reference_number": reference})
        before = len(sandbox.requests)
        runs.append(run_tap(config, state=runs[-1].state))
        assert [r["bill_id"] for r in runs[-1].records()] == [bill.doc_id]
        assert detail_ids(sandbox, before) == {bill.doc_id}
    versions = [next(r for r in run.records("bills") if r["bill_id"] == bill.doc_id) for run in runs]
    assert [v["reference_number"] for v in versions] == [original, "FIRST EDIT", "SECOND EDIT", original]
    assert len({v["_source_event_id"] for v in versions}) == 4
    assert all(v["last_modified_time"] is None for v in versions)


def test_undated_documents_listed_by_every_filtered_call_are_still_sent_once(sandbox, config):
    sandbox.config.share_without_last_modified_time = 0.3
    sandbox.config.undated_list_filter = "always"
    config = {**config, "organization_ids": [US_ORG2]}
    first = run_tap(config)
    before = len(sandbox.requests)
    assert run_tap(config, state=first.state).records() == []
    assert detail_ids(sandbox, before) == set()


def test_money_stays_exact_decimal_in_the_output(sandbox, config):
    sandbox.store.create(US_ORG2, "invoices", {"line_items": [{"name": "Cable", "rate": "0.10", "quantity": 3}]})
    result = run_tap({**config, "organization_ids": [US_ORG2]})
    cable = [r for r in result.records("invoices") if r["line_items"][0]["rate"] == Decimal("0.10")]
    assert cable
    assert str(cable[-1]["line_items"][0]["rate"]) == "0.10"
    assert '"rate":0.10' in next(line for line in result.lines
                                 if '"stream":"invoices"' in line and cable[-1]["invoice_id"] in line)
    assert all(isinstance(r["total"], Decimal) for r in result.records("invoices"))


def test_blank_values_in_typed_fields_become_null(sandbox, config):
    result = run_tap({**config, "organization_ids": [US_ORG2]})
    unpaid = [r for r in result.records("invoices") if r["_raw"]["payment_expected_date"] == " "]
    assert unpaid and all(r["payment_expected_date"] is None for r in unpaid)


def test_event_identity_is_per_document_version(sandbox, config):
    first = run_tap({**config, "organization_ids": [US_ORG2]})
    second = run_tap({**config, "organization_ids": [US_ORG2], "token_cache_enabled": False})
    assert [r["_source_event_id"] for r in first.records()] == [r["_source_event_id"] for r in second.records()]
    assert len({r["_source_event_id"] for r in first.records()}) == len(first.records())
