"""Webhook → BigQuery latency, and the receiver's sustained deliveries per second.

    .venv/bin/python benchmarks/webhook_latency.py [--events 500] [--rate 25] [--burst 2000]

Runs the real processes: the receiver (`tap-zohobooks-webhooks serve`), the live pipeline
(`tap-zohobooks` in live mode piped into `target-bigquery-audit`) and the BigQuery emulator.
Latency is measured from the receiver's 2xx reply to the first time a query in BigQuery returns the
event (polled every 50 ms, so the figure includes up to one polling interval and the query itself).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from local_services.bigquery_emulator import BigQueryEmulator, free_port  # noqa: E402
from local_services.zoho_sandbox.webhooks import sign  # noqa: E402

SECRET = "benchsecret0123456"
QUERY = {"organization_id": "60001000001", "event": "invoice.updated"}
BIN = ROOT / ".venv" / "bin"


def delivery(i: int) -> bytes:
    second = f"{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}"
    return json.dumps({"invoice": {"invoice_id": str(700000000000000 + i), "invoice_number": f"INV-B{i:06d}",
                                   "total": 100.10, "balance": 100.10, "currency_code": "USD", "status": "sent",
                                   "created_time": f"2026-01-02T{second}+0000",
                                   "last_modified_time": f"2026-01-02T{second}+0000"}}).encode()


def post(session: requests.Session, url: str, body: bytes) -> requests.Response:
    """A delivery signed as Zoho's finance suite signs: the query parameters, then the body."""
    signature = sign("zoho-finance", SECRET, body, QUERY, 0)
    return session.post(url, params=QUERY, data=body, headers={"X-Zoho-Webhook-Signature": signature,
                                                               "Content-Type": "application/json"}, timeout=30)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--rate", type=float, default=25.0, help="deliveries per second during the latency run")
    parser.add_argument("--burst", type=int, default=2000, help="deliveries for the throughput run")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    port = free_port()
    tap_config = {"client_id": "bench", "client_secret": "bench", "refresh_token": "bench", "mode": "live",
                  "webhook_spool_path": str(work / "spool.db"), "webhook_secret": SECRET, "webhook_port": port,
                  "webhook_organization_id": "60001000001", "live_poll_interval_seconds": 0.05,
                  "webhook_rate_limit_per_minute": 0}  # one sender, thousands of deliveries a minute
    (work / "tap.json").write_text(json.dumps(tap_config))
    receiver = subprocess.Popen([str(BIN / "tap-zohobooks-webhooks"), "serve", "--config", str(work / "tap.json")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/zoho"
    with BigQueryEmulator(work / "bq") as emulator:
        (work / "target.json").write_text(json.dumps({
            "project": emulator.project, "dataset": "bench", "api_endpoint": emulator.rest_url,
            "storage_api_endpoint": emulator.grpc_target, "emulator": True,
            "retry_queue_dir": str(work / "queue"), "finance_views": False}))
        pipeline = subprocess.Popen(
            f"{BIN / 'tap-zohobooks'} --config {work / 'tap.json'} | {BIN / 'target-bigquery-audit'} "
            f"--config {work / 'target.json'} 2> {work / 'target.log'}", shell=True, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        client = emulator.client()
        session = requests.Session()
        for _ in range(200):
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        replied: dict[str, float] = {}
        seen: dict[str, float] = {}
        stop = threading.Event()

        query_seconds: list[float] = []

        def watch() -> None:
            while not stop.is_set():
                try:
                    asked = time.monotonic()
                    rows = client.query("SELECT _source_event_id FROM `bench.invoices`").result()
                    now = time.monotonic()
                    query_seconds.append(now - asked)
                    for row in rows:
                        seen.setdefault(row[0], now)
                except Exception:  # the table does not exist before the first event lands
                    pass
                stop.wait(0.05)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        warm = post(session, url, delivery(10**6)).json()["event_id"]  # tables and views are made here
        while warm not in seen:
            time.sleep(0.05)
        started = time.monotonic()
        for i in range(args.events):
            response = post(session, url, delivery(i))
            replied[response.json()["event_id"]] = time.monotonic()
            time.sleep(max(0.0, started + (i + 1) / args.rate - time.monotonic()))
        deadline = time.monotonic() + 60
        while len(set(replied) & set(seen)) < len(replied) and time.monotonic() < deadline:
            time.sleep(0.1)
        stop.set()
        latencies = [seen[e] - t for e, t in replied.items() if e in seen]

        bodies = [delivery(10**5 + i) for i in range(args.burst)]
        burst_start = time.monotonic()
        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(lambda b: post(requests.Session(), url, b).status_code, bodies))
        burst_seconds = time.monotonic() - burst_start
        os.killpg(pipeline.pid, 15)
        pipeline.wait(30)
    receiver.terminate()
    receiver.wait(10)
    print(f"events delivered / queryable in BigQuery  {len(replied)} / {len(latencies)}")
    print(f"webhook → BigQuery latency p50 / p95 / p99 / max   {percentile(latencies, 50):.2f} / "
          f"{percentile(latencies, 95):.2f} / {percentile(latencies, 99):.2f} / {max(latencies):.2f} s"
          f"   (mean {statistics.mean(latencies):.2f} s, at {args.rate:.0f} deliveries/s)")
    drains = [json.loads(line.split("METRIC: ", 1)[1])["value"] for line in (work / "target.log").read_text().splitlines()
              if "batch_processing_time" in line]
    print(f"target drains: {len(drains)}, median {statistics.median(drains):.3f} s, p95 {percentile(drains, 95):.3f} s; "
          f"watcher query median {statistics.median(query_seconds):.3f} s, p95 {percentile(query_seconds, 95):.3f} s")
    print(f"receiver sustained throughput             {args.burst / burst_seconds:.0f} deliveries/s "
          f"({args.burst} signed deliveries, 16 concurrent senders, {statuses.count(200)} answered 200)")


if __name__ == "__main__":
    main()
