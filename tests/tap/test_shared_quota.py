"""One organization's limits shared by every tap process on the machine, judged by the sandbox's log."""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from tap_zohobooks import shared_quota
from tests.helpers import run_tap
from tests.tap.conftest import US_ORG2
from tests.webhooks.conftest import US_ORG, hook_up, make_receiver, receiver, receiver_config  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[2]


def most_in_any_window(calls: list[dict], window: float) -> int:
    times = sorted(dt.datetime.fromisoformat(c["time"]).timestamp() for c in calls)
    return max((sum(1 for t in times[i:] if t - start < window) for i, start in enumerate(times)), default=0)


def start_tap(config: dict, tmp_path: Path, name: str) -> subprocess.Popen:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(config))
    return subprocess.Popen([sys.executable, "-m", "tap_zohobooks.tap", "--config", str(path)], cwd=ROOT,
                            stdout=open(tmp_path / f"{name}.out", "w"), stderr=subprocess.PIPE, text=True)


def org_calls(sandbox) -> list[dict]:
    """Calls made for an organization: GET /organizations names none, so no organization's limit counts it."""
    return [c for c in sandbox.api_calls() if c["org_id"]]


def test_two_processes_together_stay_under_the_minute_cap(sandbox, config, tmp_path):
    sandbox.config.requests_per_window, sandbox.config.rate_window_seconds = 10, 1
    shared = {**config, "organization_ids": [US_ORG2], "max_requests_per_minute": 10, "rate_window_seconds": 1,
              "progress_interval_seconds": 0}
    runs = [start_tap(shared, tmp_path, name) for name in ("poll", "second")]
    errors = [run.communicate(timeout=120)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], errors
    calls = org_calls(sandbox)
    assert not [c for c in calls if c["status"] == 429]
    assert most_in_any_window(calls, 0.98) <= 10
    documents = sum(len(sandbox.store.records(US_ORG2, e)) for e in
                    ("invoices", "bills", "purchaseorders", "customerpayments", "vendorpayments"))
    assert len(calls) >= 2 * documents  # both runs really read everything, side by side
    for stderr in errors:
        assert f"Progress: organization {US_ORG2}, invoices:" in stderr
        assert "calls today" in stderr and "ETA" in stderr


def test_daily_budget_holds_across_runs_and_resumes_the_next_day(sandbox, config, monkeypatch):
    budgeted = {**config, "organization_ids": [US_ORG2], "daily_call_budget": 15}
    first = run_tap(budgeted)
    assert len(org_calls(sandbox)) == 15
    second = run_tap(budgeted, state=first.state)  # same day: the budget is spent, not one call more
    assert len(org_calls(sandbox)) == 15 and second.records() == []
    tomorrow = shared_quota.wall_clock() + 86400
    monkeypatch.setattr(shared_quota, "wall_clock", lambda: tomorrow)
    third = run_tap(budgeted, state=first.state)
    assert len(org_calls(sandbox)) == 30
    assert third.records() and {r["_source_event_id"] for r in third.records()}.isdisjoint(
        {r["_source_event_id"] for r in first.records()})


def test_a_sync_larger_than_the_days_quota_says_so_up_front(sandbox, config, caplog):
    with caplog.at_level(logging.INFO):
        run_tap({**config, "organization_ids": [US_ORG2], "daily_call_budget": 10, "progress_interval_seconds": 0})
    assert "days at 10 calls a day; it will resume by itself on each scheduled run" in caplog.text
    assert f"Summary: organization {US_ORG2} stopped early: daily_call_budget of 10 calls" in caplog.text


def test_versions_the_webhook_spool_holds_cost_no_detail_call(sandbox, receiver, config, caplog):
    hook_up(sandbox, receiver.url)
    created = [sandbox.store.create(US_ORG, "invoices", {})["invoice_id"] for _ in range(4)]
    sandbox.hub.wait_idle()
    with caplog.at_level(logging.INFO):
        result = run_tap({**config, "organization_ids": [US_ORG], "webhook_spool_path": str(receiver.spool_path)})
    assert {r["invoice_id"] for r in result.records("invoices")} >= set(created)
    assert not [c for c in sandbox.api_calls() if c["path"] in {f"/books/v3/invoices/{i}" for i in created}]
    assert f"organization {US_ORG}: " in caplog.text and "4 detail calls saved by the webhook spool" in caplog.text


def test_a_bad_quota_setting_gets_one_clear_line(sandbox, config, tmp_path):
    with pytest.raises(ValueError, match="quota_day_timezone 'Mars/Olympus' is not an IANA time zone"):
        run_tap({**config, "quota_day_timezone": "Mars/Olympus"})
    (tmp_path / "a-file").write_text("")
    with pytest.raises(ValueError, match="must be a writable directory"):
        run_tap({**config, "token_cache_dir": str(tmp_path / "a-file")})


def test_two_processes_together_respect_the_concurrency_limit(sandbox, config, tmp_path):
    sandbox.config.concurrency_limit = 1
    sandbox.faults.arm("slow", count=10000, delay=0.03)  # every call is in flight long enough to overlap
    shared = {**config, "organization_ids": [US_ORG2], "max_concurrent_requests": 1}
    runs = [start_tap(shared, tmp_path, name) for name in ("poll", "history")]
    errors = [run.communicate(timeout=120)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], errors
    assert not [c for c in sandbox.api_calls() if c["status"] == 429]  # no code 1070
