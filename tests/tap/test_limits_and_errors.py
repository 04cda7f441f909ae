"""Zoho's limits and failures: each 429 code, the daily quota stop-and-resume, retries, fatal errors."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from tap_zohobooks.api import ZohoAPIError
from tests.helpers import run_tap
from tests.tap.conftest import US_ORG, US_ORG2

ENTITY_OF = {"invoices": "invoices", "bills": "bills", "purchase_orders": "purchaseorders",
             "customer_payments": "customerpayments", "vendor_payments": "vendorpayments"}


def versions(records: list[dict]) -> set[tuple]:
    return {(r["organization_id"], r["_source_event_id"]) for r in records}


def all_documents(sandbox, orgs) -> int:
    """Records a full sync emits: every document, and each organization's own record."""
    return sum(len(sandbox.store.records(o, e)) for o in orgs for e in ENTITY_OF.values()) + len(orgs)


def test_client_side_limiter_stays_under_the_per_minute_limit(sandbox, config):
    sandbox.config.requests_per_window = 20
    sandbox.config.rate_window_seconds = 1
    result = run_tap({**config, "organization_ids": [US_ORG2], "max_requests_per_minute": 18,
                      "rate_window_seconds": 1})
    assert len(result.records()) == all_documents(sandbox, [US_ORG2])
    assert not [r for r in sandbox.api_calls() if r["status"] == 429]


def seconds_between(earlier: dict, later: dict) -> float:
    return (dt.datetime.fromisoformat(later["time"]) - dt.datetime.fromisoformat(earlier["time"])).total_seconds()


def test_code_44_waits_only_until_the_window_frees(sandbox, config):
    # The tap believes in 100 calls per half second; the sandbox allows 5, so the tap runs into code 44.
    # A flat wait would be rate_limit_wait_seconds (30 s); the tap must instead wait until its call
    # log says the oldest call left the window, and its retry must then be admitted. One call in
    # flight at a time, so the call after a 429 in the log is the next one the tap made.
    sandbox.config.requests_per_window, sandbox.config.rate_window_seconds = 5, 0.5
    result = run_tap({**config, "organization_ids": [US_ORG2], "max_requests_per_minute": 100,
                      "rate_window_seconds": 0.5, "rate_limit_wait_seconds": 30, "max_concurrent_requests": 1})
    assert len(result.records()) == all_documents(sandbox, [US_ORG2])
    calls = sandbox.api_calls()
    refused = [i for i, r in enumerate(calls) if r["status"] == 429]
    assert refused and all(calls[i]["code"] == 44 for i in refused)
    for i in refused:
        retry = calls[i + 1]
        assert retry["status"] == 200, "the retry after a code 44 came before the window freed"
        assert seconds_between(calls[i], retry) < 1.5, "waited longer than the rest of the window"


def test_minute_headers_are_honoured_so_no_429_happens(sandbox, config):
    # Same mismatch, but the sandbox says how many calls the minute has left: the tap pauses on 0.
    # (Calls already in flight when an answer says 0 are refused anyway: one at a time here.)
    sandbox.config.requests_per_window, sandbox.config.rate_window_seconds = 5, 0.5
    sandbox.config.send_minute_rate_limit_headers = True
    result = run_tap({**config, "organization_ids": [US_ORG2], "max_requests_per_minute": 100,
                      "rate_window_seconds": 0.5, "rate_limit_wait_seconds": 30, "max_concurrent_requests": 1})
    assert len(result.records()) == all_documents(sandbox, [US_ORG2])
    assert not [r for r in sandbox.api_calls() if r["status"] == 429]


def test_a_429_with_retry_after_waits_that_long_only(sandbox, config):
    # The sandbox's window is 1 s and it says so in Retry-After; the tap's own log (a 30 s window)
    # would wait up to 30 s: Retry-After wins.
    sandbox.config.rate_window_seconds = 1
    sandbox.config.send_minute_rate_limit_headers = True
    sandbox.faults.arm("limit_44", count=1, path_contains="/bills")
    result = run_tap({**config, "organization_ids": [US_ORG2], "rate_window_seconds": 30,
                      "rate_limit_wait_seconds": 30})
    assert len(result.records()) == all_documents(sandbox, [US_ORG2])
    calls = sandbox.api_calls()
    (i,) = [i for i, r in enumerate(calls) if r["status"] == 429]
    assert calls[i + 1]["status"] == 200 and seconds_between(calls[i], calls[i + 1]) < 10


def test_code_1070_backs_off_briefly_and_continues(sandbox, config):
    sandbox.faults.arm("limit_1070", count=3, path_contains="/invoices/")
    result = run_tap({**config, "organization_ids": [US_ORG2]})
    assert [r["code"] for r in sandbox.api_calls() if r["status"] == 429] == [1070] * 3
    assert len(result.records()) == all_documents(sandbox, [US_ORG2])


def test_daily_quota_stops_cleanly_and_the_next_run_resumes_without_loss(sandbox, config, caplog):
    sandbox.config.daily_quota = 60
    with caplog.at_level(logging.WARNING):
        first = run_tap(config)
    assert "daily API quota" in caplog.text and "resets in about" in caplog.text
    assert 0 < len(first.records()) < all_documents(sandbox, [US_ORG, US_ORG2])
    sandbox.config.daily_quota = 100000
    second = run_tap(config, state=first.state)
    got = versions(first.records()) | versions(second.records())
    assert len(got) == all_documents(sandbox, [US_ORG, US_ORG2])
    third = run_tap(config, state=second.state)
    assert third.records() == []


def test_daily_call_budget_keeps_quota_for_others(sandbox, config):
    result = run_tap({**config, "daily_call_budget": 12, "organization_ids": [US_ORG2]})
    assert len([c for c in sandbox.api_calls() if c["org_id"]]) == 12  # GET /organizations names none
    resumed = run_tap({**config, "organization_ids": [US_ORG2]}, state=result.state)
    assert len(versions(result.records()) | versions(resumed.records())) == all_documents(sandbox, [US_ORG2])


@pytest.mark.parametrize("fault", ["blank_200", "non_json_200", "http_500", "http_503"])
def test_transient_failures_are_retried(sandbox, config, fault):
    sandbox.faults.arm(fault, count=2, path_contains="/invoices")
    result = run_tap({**config, "organization_ids": [US_ORG2]})
    assert len(result.records()) == all_documents(sandbox, [US_ORG2])


def test_persistent_5xx_fails_with_a_clear_error(sandbox, config):
    sandbox.faults.arm("http_500", count=100, path_contains="/bills")
    with pytest.raises(ZohoAPIError, match="kept failing for /bills after 3 tries"):
        run_tap({**config, "organization_ids": [US_ORG2], "max_retries": 3})


def test_400_is_not_retried_and_shows_zohos_message(sandbox, config):
    with pytest.raises(ZohoAPIError, match="Invalid value passed for page"):
        run_tap({**config, "organization_ids": [US_ORG2], "page_size": 0})
    assert len(sandbox.api_calls("/bills")) == 1


def test_document_deleted_before_its_detail_is_skipped(sandbox, config, caplog):
    victim = sorted(sandbox.store.records(US_ORG2, "bills"), key=lambda r: r.last_modified)[0].doc_id
    sandbox.faults.arm("http_404", count=1, path_contains=f"/bills/{victim}")
    with caplog.at_level(logging.INFO):
        result = run_tap({**config, "organization_ids": [US_ORG2]})
    assert victim not in {r["bill_id"] for r in result.records("bills")}
    assert len(result.records("bills")) == len(sandbox.store.records(US_ORG2, "bills")) - 1
    assert f"bill {victim} was deleted" in caplog.text


def test_summary_reports_calls_and_quota(sandbox, config, caplog):
    with caplog.at_level(logging.INFO):
        run_tap({**config, "organization_ids": [US_ORG2]})
    calls = len([c for c in sandbox.api_calls() if not c["path"].endswith("/organizations")])
    assert (f"organization {US_ORG2}: {calls} API calls this run, 0 detail calls saved by the webhook spool, "
            f"{calls} calls today by every run, daily quota remaining: {10000 - calls}") in caplog.text
