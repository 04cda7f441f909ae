"""Organizations fetched side by side, each within its own caps, judged by the sandbox's request log.

The sandbox's minute is scaled to half a second (its `rate_window_seconds`), and the tap is told the
same, so a cap of 10 calls "a minute" is 10 calls per half second: small organizations still need
several windows, and the tests stay fast.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import signal
import subprocess
import sys
from decimal import Decimal

import pytest

from local_services.zoho_sandbox import SandboxConfig, ZohoSandbox
from tap_zohobooks.reconcile import STATE_RUN
from tests.helpers import run_tap, tap_config
from tests.tap.conftest import US_ORG, US_ORG2
from tests.tap.test_shared_quota import ROOT, most_in_any_window

CAP, WINDOW = 10, 0.5
ENTITIES = ("invoices", "bills", "purchaseorders", "customerpayments", "vendorpayments")
STREAMS = {"invoices": ("invoices", "invoice_id"), "bills": ("bills", "bill_id"),  # stream: (entity, id field)
           "purchase_orders": ("purchaseorders", "purchaseorder_id"),
           "customer_payments": ("customerpayments", "payment_id"), "vendor_payments": ("vendorpayments", "payment_id")}


@pytest.fixture
def small_sandbox():
    with ZohoSandbox(SandboxConfig(requests_per_window=CAP, rate_window_seconds=WINDOW), documents=100) as running:
        yield running


def capped(sandbox, tmp_path, name: str, **overrides) -> dict:
    """Runs of one test share the machine's quota log (token_cache_dir), as runs on one machine do: the
    sandbox's window still holds the previous run's last calls when the next run starts."""
    return tap_config(sandbox, tmp_path / name, **{"organization_ids": [US_ORG, US_ORG2], "max_requests_per_minute": CAP,
                                                  "rate_window_seconds": WINDOW,
                                                  "token_cache_dir": str(tmp_path / "quota"), **overrides})


def calls_by_org(sandbox) -> dict[str, list[dict]]:
    calls = [c for c in sandbox.api_calls() if c["org_id"]]
    return {org: [c for c in calls if c["org_id"] == org] for org in (US_ORG, US_ORG2)}


def switches(calls: list[dict]) -> int:
    """How often consecutive calls in the log (by time) belong to different organizations."""
    ordered = sorted(calls, key=lambda c: dt.datetime.fromisoformat(c["time"]))
    return sum(1 for a, b in zip(ordered, ordered[1:]) if a["org_id"] != b["org_id"])


def comparable(records: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "_arrival_ts"} for r in records]


def without_run_times(state: dict) -> dict:
    """The state minus the wall-clock time of the reconcile bookkeeping (it differs between any two runs)."""
    bookmarks = {}
    for stream, entry in state.get("bookmarks", {}).items():
        entry = dict(entry)
        if "partitions" in entry:
            entry["partitions"] = [{k: v for k, v in p.items() if k != STATE_RUN} for p in entry["partitions"]]
        bookmarks[stream] = {k: v for k, v in entry.items() if k != STATE_RUN}
    return {**state, "bookmarks": bookmarks}


def test_two_organizations_run_side_by_side_each_within_its_cap(small_sandbox, tmp_path):
    sandbox = small_sandbox
    parallel = run_tap(capped(sandbox, tmp_path, "parallel"))
    together = calls_by_org(sandbox)
    logged = len(sandbox.requests)
    sequential = run_tap(capped(sandbox, tmp_path, "sequential", max_concurrent_organizations=1))

    # Side by side: the log interleaves the two organizations' calls, each under its own cap, no 429.
    assert all(len(together[org]) > CAP for org in (US_ORG, US_ORG2))  # each needs several windows
    assert switches(together[US_ORG] + together[US_ORG2]) >= 4
    for org in (US_ORG, US_ORG2):
        assert most_in_any_window(together[org], WINDOW * 0.98) <= CAP
        assert not [c for c in together[org] if c["status"] == 429]

    # The same records, in the same order, and the same final state as one organization at a time.
    assert comparable(parallel.records()) == comparable(sequential.records())
    assert comparable(parallel.events()) == comparable(sequential.events())
    assert without_run_times(parallel.state) == without_run_times(sequential.state)
    documents = sum(len(sandbox.store.records(org, e)) for org in (US_ORG, US_ORG2) for e in ENTITIES)
    assert len(parallel.records()) == documents + 2  # every document, and each organization's record

    # One at a time makes the same calls, without interleaving.
    later = [c for c in sandbox.requests[logged:] if c["kind"] == "api" and c["org_id"]]
    assert not [c for c in later if c["status"] == 429]
    assert sorted(c["path"] for c in later) == sorted(c["path"] for c in together[US_ORG] + together[US_ORG2])
    assert switches(later) == 1


def test_the_total_is_known_before_the_first_detail_call_and_shown_in_the_first_progress_line(
        small_sandbox, tmp_path, caplog):
    sandbox = small_sandbox
    with caplog.at_level(logging.INFO):
        run_tap(capped(sandbox, tmp_path, "run", organization_ids=[US_ORG], progress_interval_seconds=0))
    invoices = len(sandbox.store.records(US_ORG, "invoices"))

    # The log: every invoice list call before the first invoice detail call.
    paths = [c["path"] for c in sandbox.api_calls("/invoices")]
    last_list = max(i for i, p in enumerate(paths) if p.endswith("/invoices"))
    first_detail = min(i for i, p in enumerate(paths) if not p.endswith("/invoices"))
    assert last_list < first_detail

    lines = [r.getMessage() for r in caplog.records]
    listed = [i for i, line in enumerate(lines) if line.startswith(f"Listed: organization {US_ORG}, invoices:")]
    progress = [i for i, line in enumerate(lines) if line.startswith(f"Progress: organization {US_ORG}, invoices:")]
    assert listed and progress and listed[0] < progress[0]
    assert f"invoices: {invoices} documents to fetch; about " in lines[listed[0]]
    first = re.search(r": (\d+) of (\d+) documents; .*; ETA (.+)$", lines[progress[0]])
    assert first and int(first[2]) == invoices and first[3] not in ("?", "done")
    assert all(f"of {invoices} documents" in lines[i] for i in progress)  # the total never moves


def test_a_run_killed_while_workers_fetch_ahead_resumes_without_loss(small_sandbox, tmp_path):
    # The workers run ahead of what is written; a STATE written before the kill must name only what
    # was written before it, so the next run from that STATE misses nothing.
    sandbox = small_sandbox
    config = tmp_path / "config.json"
    config.write_text(json.dumps(capped(sandbox, tmp_path, "killed")))
    tap = subprocess.Popen([sys.executable, "-m", "tap_zohobooks.tap", "--config", str(config)], cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    written: list[dict] = []
    for line in tap.stdout:
        message = json.loads(line, parse_float=Decimal)
        if message["type"] == "STATE" and any(s in message["value"].get("bookmarks", {})
                                               for s in ("customer_payments", "invoices")):
            os.kill(tap.pid, signal.SIGKILL)  # mid-run: later streams were being fetched ahead
            state = message["value"]
            break
        written.append(message)
    tap.wait(timeout=60)
    before_kill = [(m["stream"], m["record"]) for m in written if m["type"] == "RECORD" and m["stream"] in STREAMS]
    assert before_kill and sandbox.api_calls("/invoices/")  # invoices were fetched ahead, not written

    resumed = run_tap(capped(sandbox, tmp_path, "killed"), state=state)
    after = [(stream, r) for stream in STREAMS for r in resumed.records(stream)]
    written_ids = {(r["organization_id"], STREAMS[stream][0], str(r[STREAMS[stream][1]])) for stream, r in before_kill + after}
    assert written_ids == {(org, e, d.doc_id) for org in (US_ORG, US_ORG2) for e in ENTITIES
                           for d in sandbox.store.records(org, e)}
