"""A target killed with SIGKILL at a random moment and re-run leaves exactly one row per source event."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import query, target_config
from tests.target import singer
from tests.target.singer import INVOICE_SCHEMA, invoice

ROOT = Path(__file__).resolve().parents[2]
TRIALS = int(os.environ.get("KILL_TRIALS", "10"))
EVENTS = 30


def feed() -> list[str]:
    lines = [singer.schema("invoices", INVOICE_SCHEMA, ["invoice_id"])]
    for i in range(1, EVENTS + 1):
        items = [{"name": "x", "rate": Decimal(f"{i}.01"), "quantity": Decimal("2")}]
        lines.append(singer.record("invoices", invoice(f"{i:03d}", Decimal(f"{i}.10"), line_items=items)))
        if i % 6 == 0:
            lines.append(singer.state({"done": i}))
    return lines


def command(config_path: Path) -> list[str]:
    return [sys.executable, "-m", "target_bigquery_audit.target", "--config", str(config_path)]


@pytest.mark.parametrize("method", ["storage_write", "batch_load"])
def test_sigkill_at_random_points_then_rerun_gives_one_row_per_event(bigquery_emulator, bq, dataset, tmp_path,
                                                                       method):
    seed = int(os.environ.get("KILL_SEED", time.time_ns() % 100_000))
    rng = random.Random(seed)
    lines = feed()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for trial in range(TRIALS):
        prefix = f"k{trial}_"
        config_path = tmp_path / f"config-{trial}.json"
        config_path.write_text(json.dumps(target_config(
            bigquery_emulator, dataset, tmp_path / f"trial-{trial}", load_method=method, table_prefix=prefix,
            batch_size_rows=4, create_views=False, finance_views=False)))
        cut, delay = rng.randrange(1, len(lines)), rng.uniform(0.0, 3.0)
        victim = subprocess.Popen(command(config_path), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, text=True, cwd=ROOT, env=env)
        victim.stdin.write("\n".join(lines[:cut]) + "\n")
        victim.stdin.flush()
        time.sleep(delay)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        # The tap re-sends everything since its last saved STATE, cut and ordered differently.
        config = json.loads(config_path.read_text())
        config_path.write_text(json.dumps({**config, "batch_size_rows": 5}))
        records = [line for line in lines if '"RECORD"' in line]
        rng.shuffle(records)
        again = [lines[0], *records, singer.state({"done": EVENTS})]
        rerun = subprocess.run(command(config_path), input="\n".join(again) + "\n", capture_output=True,
                               text=True, cwd=ROOT, env=env, timeout=120)
        assert rerun.returncode == 0, rerun.stderr[-2000:]
        rows = query(bq, f"SELECT invoice_id, COUNT(*) AS n FROM `{dataset}.{prefix}invoices` GROUP BY invoice_id")
        counts = {r["invoice_id"]: r["n"] for r in rows}
        assert counts == {f"{i:03d}": 1 for i in range(1, EVENTS + 1)}, (
            f"seed {seed}, trial {trial}: killed after {cut} lines and {delay:.2f}s")
