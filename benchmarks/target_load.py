"""Push a generated stream of invoices (1 to 25 line items, benchmarks/invoice_feed.py) through the target CLI into the emulator.

    .venv/bin/python benchmarks/target_load.py [--records 20000]

Prints records/s, the target process's CPU seconds per 1,000 records, and its peak RSS. The emulator
shares the machine's two cores with the target, so records/s is a floor for real BigQuery.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from local_services.bigquery_emulator import BigQueryEmulator  # noqa: E402
from benchmarks.invoice_feed import write_feed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=20000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    feed = work / "invoices.singer"
    write_feed(feed, args.records)
    with BigQueryEmulator(work / "bq") as emulator:
        config = work / "target.json"
        config.write_text(json.dumps({"project": emulator.project, "dataset": "bench", "api_endpoint": emulator.rest_url, "storage_api_endpoint": emulator.grpc_target, "emulator": True,
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
