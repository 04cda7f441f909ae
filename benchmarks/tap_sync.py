"""Sync a generated organization from the sandbox with the real tap CLI and print what it cost.

    .venv/bin/python benchmarks/tap_sync.py [--documents 10000] [--paced-documents 1000] [--window 6]

Prints API calls per 1,000 documents (first sync, a no-change re-sync, and a sync after edits of which
webhooks delivered half into the spool), records/s and the tap
process's peak RSS with the sandbox's per-minute limit lifted (the tap's own speed); then minutes per
1,000 documents at Zoho's real cap of 100 calls a minute, measured on a scaled clock: the sandbox and
the tap both use 100 calls per `--window` seconds (6 by default, i.e. 10x faster than Zoho's 60), and
the measured time is multiplied back by 60 / window. Any 429 the sandbox answered is counted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from local_services.zoho_sandbox import (  # noqa: E402
    SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxConfig, ZohoSandbox, sandbox_refresh_token)

ORG = "60001000001"  # the sandbox's main US organization holds 60% of the documents


def run(config: Path, state: Path | None, out: Path) -> tuple[float, int]:
    """Run the tap CLI; returns (seconds, peak RSS in KiB of the tap process)."""
    cmd = [str(ROOT / ".venv" / "bin" / "tap-zohobooks"), "--config", str(config)]
    if state:
        cmd += ["--state", str(state)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    with open(out, "w") as handle:
        subprocess.run(cmd, stdout=handle, stderr=subprocess.DEVNULL, check=True)
    elapsed = time.perf_counter() - started
    return elapsed, max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def last_state(path: Path) -> dict:
    states = [json.loads(line)["value"] for line in path.read_text().splitlines() if '"type":"STATE"' in line]
    return states[-1]


def paced_minutes_per_1000(work: Path, documents: int, window: float) -> tuple[float, float, int, int]:
    """(minutes per 1,000 documents at 100 calls/minute: the whole run, and from its first call to its
    last, i.e. without the tap's start-up; calls; 429s) on a clock scaled by 60 / window."""
    sandbox = ZohoSandbox(SandboxConfig(requests_per_window=100, rate_window_seconds=window, daily_quota=10**9),
                          documents=round(documents / 0.6)).start()
    docs = sum(len(d) for d in sandbox.store.orgs[ORG].docs.values())
    config = work / "paced.json"
    config.write_text(json.dumps({
        "client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET,
        "refresh_token": sandbox_refresh_token("us"), "accounts_url": sandbox.accounts_url("us"),
        "organization_ids": [ORG], "start_date": "2020-01-01T00:00:00Z", "max_requests_per_minute": 100,
        "rate_window_seconds": window, "token_cache_dir": str(work / "paced-tokens")}))
    seconds, _ = run(config, None, work / "paced.jsonl")
    calls = sandbox.api_calls()
    sandbox.stop()
    span = (dt.datetime.fromisoformat(calls[-1]["time"]) - dt.datetime.fromisoformat(calls[0]["time"])).total_seconds()
    per_1000 = (60 / window) / 60 / docs * 1000
    return seconds * per_1000, span * per_1000, len(calls), sum(1 for c in calls if c["status"] == 429)


def half_delivered_by_webhooks(sandbox: ZohoSandbox, spool_path: Path, changes: int) -> int:
    """Edit `changes` invoices in Zoho; every other edit also reaches the spool, as the receiver stores it."""
    import simplejson

    from tap_zohobooks.webhooks.parse import parse_delivery
    from tap_zohobooks.webhooks.spool import Spool

    spool = Spool(spool_path)
    invoices = [r.doc_id for r in sandbox.store.records(ORG, "invoices")][:changes]
    for n, doc_id in enumerate(invoices):
        doc = sandbox.store.update(ORG, "invoices", doc_id, {"reference_number": f"bench-{n}"})
        if n % 2 == 0:
            raw = simplejson.dumps({"invoice": doc}, use_decimal=True).encode()
            spool.add(parse_delivery(raw, {"organization_id": ORG}, dt.datetime.now(dt.timezone.utc)))
    del spool  # autocommit: every add is already on disk
    return len(invoices)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=10000, help="documents in the organization")
    parser.add_argument("--paced-documents", type=int, default=1000, help="documents for the paced run")
    parser.add_argument("--window", type=float, default=6.0, help="seconds standing for Zoho's minute")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    sandbox = ZohoSandbox(SandboxConfig(requests_per_window=10**9, daily_quota=10**9),
                          documents=round(args.documents / 0.6)).start()
    docs = sum(len(d) for d in sandbox.store.orgs[ORG].docs.values())
    config = work / "config.json"
    config.write_text(json.dumps({
        "client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET,
        "refresh_token": sandbox_refresh_token("us"), "accounts_url": sandbox.accounts_url("us"),
        "organization_ids": [ORG], "start_date": "2020-01-01T00:00:00Z", "max_requests_per_minute": 10**9,
        "token_cache_dir": str(work / "tokens")}))

    first_out = work / "first.jsonl"
    seconds, rss = run(config, None, first_out)
    records = sum(1 for line in first_out.open() if '"type":"RECORD"' in line)
    first_calls = len(sandbox.api_calls())
    state = work / "state.json"
    state.write_text(json.dumps(last_state(first_out)))
    second_out = work / "second.jsonl"
    resync_seconds, rss2 = run(config, state, second_out)
    resync_calls = len(sandbox.api_calls()) - first_calls
    resync_records = sum(1 for line in second_out.open() if '"type":"RECORD"' in line)

    # A sync after edits of which webhooks delivered half into the spool (details of those are not fetched).
    spooled = dict(json.loads(config.read_text()), webhook_spool_path=str(work / "spool.sqlite3"))
    changes = half_delivered_by_webhooks(sandbox, work / "spool.sqlite3", max(docs // 10, 2))
    config.write_text(json.dumps(spooled))
    state.write_text(json.dumps(last_state(second_out) if '"type":"STATE"' in second_out.read_text()
                                else last_state(first_out)))
    before = len(sandbox.api_calls())
    run(config, state, work / "third.jsonl")
    half_calls = sandbox.api_calls(since=0)[before:]
    half_details = sum(1 for c in half_calls if c["path"].count("/") > 3 and "/settings/" not in c["path"])
    sandbox.stop()

    print(f"documents in the organization:        {docs}")
    print(f"first sync: records emitted           {records}")
    print(f"first sync: API calls                 {first_calls}  ({first_calls / docs * 1000:.0f} per 1,000 documents)")
    print(f"first sync: wall time                 {seconds:.1f} s  ({records / seconds:.0f} records/s)")
    print(f"no-change re-sync: API calls          {resync_calls}  ({resync_calls / docs * 1000:.1f} per 1,000 documents)")
    print(f"no-change re-sync: records emitted    {resync_records}")
    print(f"no-change re-sync: wall time          {resync_seconds:.1f} s")
    print(f"tap peak RSS                          {max(rss, rss2) / 1024:.0f} MiB")
    print(f"after {changes} edits, half delivered by webhooks: {len(half_calls)} API calls "
          f"({len(half_calls) / changes * 1000:.0f} per 1,000 changed documents; {half_details} detail calls)")
    minutes, calling, paced_calls, refused = paced_minutes_per_1000(work, args.paced_documents, args.window)
    print(f"at Zoho's 100 calls/min (clock scaled x{60 / args.window:g}): {minutes:.1f} minutes per 1,000 "
          f"documents ({calling:.1f} from the first call to the last); {paced_calls} calls, {refused} answered 429")


if __name__ == "__main__":
    main()
