"""Push a generated stream of invoices with line items through the target CLI into the emulator.

    .venv/bin/python benchmarks/target_load.py [--records 20000]

Prints records/s, the target process's CPU seconds per 1,000 records, and its peak RSS. The emulator
shares the machine's two cores with the target, so records/s is a floor for real BigQuery.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import simplejson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from local_services.bigquery_emulator import BigQueryEmulator  # noqa: E402
from tap_zohobooks.client import load_schema  # noqa: E402


def invoices(count: int, seed: int = 1):
    rng = random.Random(seed)
    for i in range(count):
        lines = [{"line_item_id": f"{i}{j}", "name": "Consulting hour", "rate": Decimal("150.00"),
                  "quantity": Decimal(rng.randint(1, 9)), "item_total": Decimal("150.00") * rng.randint(1, 9),
                  "tax_percentage": Decimal("7.25"), "tags": []} for j in range(rng.randint(1, 4))]
        doc = {"invoice_id": f"{600010000000000 + i}", "invoice_number": f"INV-{i:06d}", "status": "sent",
               "customer_id": "600010000000053", "customer_name": "Bowman & Co", "currency_code": "USD",
               "exchange_rate": Decimal("1"), "date": "2026-01-02", "due_date": "2026-02-01",
               "line_items": lines, "total": Decimal(rng.randint(100, 99999)) / 100, "balance": Decimal("0.10"),
               "created_time": "2026-01-02T03:04:05+00:00", "last_modified_time": "2026-01-02T03:04:05+00:00"}
        yield {**doc, "organization_id": "60001000001", "_source_event_id": f"e{i}", "_source": "poll",
               "_operation": "upsert", "_arrival_ts": "2026-01-02T03:04:06+00:00", "_raw": doc}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=20000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    feed = work / "invoices.singer"
    with open(feed, "w") as out:
        out.write(json.dumps({"type": "SCHEMA", "stream": "invoices", "schema": load_schema("invoices"),
                              "key_properties": ["organization_id", "invoice_id"],
                              "bookmark_properties": ["last_modified_time"]}) + "\n")
        for record in invoices(args.records):
            out.write(simplejson.dumps({"type": "RECORD", "stream": "invoices", "record": record},
                                       use_decimal=True) + "\n")
        out.write(json.dumps({"type": "STATE", "value": {"done": True}}) + "\n")
    with BigQueryEmulator(work / "bq") as emulator:
        config = work / "target.json"
        config.write_text(json.dumps({"project": emulator.project, "dataset": "bench", "api_endpoint": emulator.rest_url, "emulator": True,
                                      "retry_queue_dir": str(work / "queue")}))
        started = time.perf_counter()
        with open(feed) as stdin:
            subprocess.run([str(ROOT / ".venv" / "bin" / "target-bigquery-audit"), "--config", str(config)],
                           stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        elapsed = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        client = emulator.client()
        landed = list(client.query("SELECT COUNT(*) AS n FROM `bench.invoices`").result())[0].n
    cpu = usage.ru_utime + usage.ru_stime
    print(f"records sent / landed                  {args.records} / {landed}")
    print(f"wall time                              {elapsed:.1f} s  ({args.records / elapsed:.0f} records/s)")
    print(f"target CPU seconds per 1,000 records   {cpu / args.records * 1000:.3f}")
    print(f"target peak RSS                        {usage.ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
