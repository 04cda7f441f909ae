"""Recovery after a killed `meltano run` (README, Scheduling): Meltano refuses the next run of the same
pipeline while the killed one still looks alive; `--force` runs it, from the stored state, and every
document version is in BigQuery exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import time

from local_services.meltano_runner import MELTANO, ROOT, meltano
from tests.helpers import query

US_ORGS = ("60001000001", "60001000002")


def test_killed_run_is_refused_then_forced_and_lands_each_version_once(env, sandbox, bq, dataset):
    before = len(sandbox.requests)
    run = subprocess.Popen([str(MELTANO), "run", "tap-zohobooks", "target-bigquery-audit"], cwd=ROOT, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    while len(sandbox.api_calls(since=before)) < 5 and run.poll() is None:
        time.sleep(0.2)  # wait for the tap to be mid-sync, then kill everything as a crash would
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()

    refused = meltano(env, "run", "tap-zohobooks", "target-bigquery-audit", check=False)
    assert refused.returncode != 0
    assert "already running" in refused.stdout + refused.stderr

    meltano(env, "run", "--force", "tap-zohobooks", "target-bigquery-audit")
    want = {(o, r.doc["invoice_id"], r.doc["last_modified_time"]) for o in US_ORGS
            for r in sandbox.store.records(o, "invoices")}
    rows = query(bq, f"SELECT organization_id, invoice_id, last_modified_time, COUNT(*) AS n "
                     f"FROM `{dataset}.invoices` GROUP BY 1, 2, 3")
    assert [r for r in rows if r["n"] != 1] == []
    assert {r["invoice_id"] for r in rows} == {i for _, i, _ in want}
