"""Two organizations in parallel versus one, at Zoho's cap of 100 calls a minute per organization.

    .venv/bin/python benchmarks/parallel_organizations.py [--documents 300] [--window 6]

Runs the real tap CLI against the sandbox three times: the first organization alone; both
organizations one after the other (`max_concurrent_organizations: 1`); both side by side (the
default). The second organization is topped up with invoices so both hold about `--documents`
documents. The sandbox and the tap use 100 calls per `--window` seconds (6 by default: a clock
scaled x10 against Zoho's 60); each run prints its wall time, and the time from its first API call
to its last (without the tap's start-up) also scaled back to Zoho's minute. Calls, their times and
429s come from the sandbox's request log.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from local_services.zoho_sandbox import (  # noqa: E402
    SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxConfig, ZohoSandbox, sandbox_refresh_token)
from tap_sync import run  # noqa: E402  (the tap CLI, timed)

ORGS = ["60001000001", "60001000002"]  # the sandbox's two US organizations (60% and 10% of its documents)
ENTITIES = ("invoices", "bills", "purchaseorders", "customerpayments", "vendorpayments")


def documents_of(sandbox: ZohoSandbox, org_id: str) -> int:
    return sum(len(sandbox.store.records(org_id, e)) for e in ENTITIES)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=300, help="documents per organization (about)")
    parser.add_argument("--window", type=float, default=6.0, help="seconds standing for Zoho's minute")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    sandbox = ZohoSandbox(SandboxConfig(requests_per_window=100, rate_window_seconds=args.window, daily_quota=10**9),
                          documents=round(args.documents / 0.6)).start()
    for _ in range(max(documents_of(sandbox, ORGS[0]) - documents_of(sandbox, ORGS[1]), 0)):
        sandbox.store.create(ORGS[1], "invoices", {})
    scale = 60 / args.window
    print(f"machine: {platform.machine()}, {platform.system()} {platform.release()}, Python {platform.python_version()}")
    print(f"documents: {', '.join(f'{o}: {documents_of(sandbox, o)}' for o in ORGS)}; "
          f"cap 100 calls per {args.window:g} s (clock scaled x{scale:g})")
    runs = [("first organization alone", ORGS[:1], {}),
            ("both, one after the other", ORGS, {"max_concurrent_organizations": 1}),
            ("both side by side", ORGS, {})]
    for number, (label, orgs, extra) in enumerate(runs):
        config = work / f"run{number}.json"
        config.write_text(json.dumps({
            "client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET,
            "refresh_token": sandbox_refresh_token("us"), "accounts_url": sandbox.accounts_url("us"),
            "organization_ids": orgs, "start_date": "2020-01-01T00:00:00Z", "max_requests_per_minute": 100,
            "rate_window_seconds": args.window, "token_cache_dir": str(work / "tokens"), **extra}))  # one quota log: it knows the last run's calls
        before = len(sandbox.api_calls())
        seconds, _ = run(config, None, work / f"run{number}.jsonl")
        calls = [c for c in sandbox.api_calls()[before:] if c["org_id"]]
        refused = sum(1 for c in calls if c["status"] == 429)
        span = (dt.datetime.fromisoformat(calls[-1]["time"]) - dt.datetime.fromisoformat(calls[0]["time"])).total_seconds()
        print(f"{label:28} {seconds:6.1f} s measured, {span:5.1f} s from the first call to the last "
              f"(= {span * scale / 60:4.1f} min at Zoho's minute); {len(calls)} calls, {refused} answered 429")
    sandbox.stop()


if __name__ == "__main__":
    main()
