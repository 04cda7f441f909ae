"""The fixed cost of a small incremental target run (three changed documents), per load method.

    .venv/bin/python benchmarks/target_small_run.py [--history 2000] [--runs 3]

Loads a history of invoices once, then times runs of the target CLI that each carry three new
versions, and prints the wall seconds of each small run and the time the target waited on BigQuery.
A small run should not grow with table size: views are only recreated when their definition
changes, and no query scans the tables.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from local_services.bigquery_emulator import BigQueryEmulator  # noqa: E402
from tests.target import singer  # noqa: E402
from tests.target.singer import INVOICE_SCHEMA, invoice  # noqa: E402


def feed(start: int, count: int, version: str) -> str:
    lines = [singer.schema("invoices", INVOICE_SCHEMA, ["invoice_id"])]
    lines += [singer.record("invoices", invoice(f"{i:06d}", Decimal(f"{i}.25"), lmt=version,
                                                line_items=[{"name": "x", "rate": Decimal("1.10"), "quantity": 2}]))
              for i in range(start, start + count)]
    lines.append(singer.state({"bookmarks": {"invoices": {"replication_key_value": version}}}))
    return "\n".join(lines) + "\n"


def run(config: Path, text: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "target_bigquery_audit.target", "--config", str(config)],
                          input=text, capture_output=True, text=True, cwd=ROOT, check=True)
    wall = time.perf_counter() - started
    waited = re.search(r"waited on BigQuery ([0-9.]+)s", done.stderr)
    return wall, waited.group(1) if waited else "?"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--history", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        emulator = BigQueryEmulator(Path(tmp) / "bq").start()
        try:
            for method in ("storage_write", "streaming_insert", "batch_load"):
                config = Path(tmp) / f"{method}.json"
                config.write_text(json.dumps({
                    "project": emulator.project, "dataset": method, "api_endpoint": emulator.rest_url,
                    "storage_api_endpoint": emulator.grpc_target,
                    "emulator": True, "load_method": method, "retry_queue_dir": f"{tmp}/{method}/queue",
                    "batch_size_rows": 5000}))
                wall, _ = run(config, feed(1, args.history, "2026-01-01T00:00:00Z"))
                print(f"{method}: history of {args.history} invoices loaded in {wall:.1f}s")
                for n in range(args.runs):
                    wall, waited = run(config, feed(n * 3 + 1, 3, f"2026-02-0{n + 1}T00:00:00Z"))
                    print(f"{method}: small run {n + 1} (3 changed documents): {wall:.2f}s wall, "
                          f"{waited}s waiting on BigQuery")
        finally:
            emulator.stop()


if __name__ == "__main__":
    main()
