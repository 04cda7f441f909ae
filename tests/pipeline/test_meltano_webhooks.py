"""Webhooks as users run them: the receiver as a Meltano plugin command, the live pipeline with
`meltano run tap-zohobooks--live target-bigquery-audit` beside the polling pipeline."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import requests

from local_services.bigquery_emulator import free_port
from local_services.meltano_runner import MELTANO, ROOT, meltano
from tests.helpers import query
from tests.webhooks.conftest import SECRET, US_ORG, hook_up


def wait_healthy(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read()
        try:
            if requests.get(f"{url}/healthz", timeout=1).ok:
                return
        except requests.RequestException:
            time.sleep(0.1)
    raise AssertionError("receiver did not start")


def test_receiver_command_then_live_and_polling_pipelines_side_by_side(env, sandbox, bq, dataset, tmp_path):
    port = free_port()
    env = {**env, "TAP_ZOHOBOOKS_WEBHOOK_SPOOL_PATH": str(tmp_path / "spool.db"), "TAP_ZOHOBOOKS_WEBHOOK_SECRET": SECRET,
           "TAP_ZOHOBOOKS_WEBHOOK_PORT": str(port), "TAP_ZOHOBOOKS__LIVE_LIVE_IDLE_EXIT_SECONDS": "4",
           "TAP_ZOHOBOOKS_WEBHOOK_ORGANIZATION_IDS": f'["{US_ORG}"]'}
    receiver = subprocess.Popen([str(MELTANO), "invoke", "tap-zohobooks:serve-webhooks"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, receiver)
        hook_up(sandbox, url)
        created = [sandbox.store.create(US_ORG, "invoices", {})["invoice_id"] for _ in range(5)]
        sandbox.hub.wait_idle()
        assert [d["status"] for d in sandbox.hub.deliveries] == [200] * 5

        live = subprocess.Popen([str(MELTANO), "run", "tap-zohobooks--live", "target-bigquery-audit"], cwd=ROOT,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        meltano(env, "run", "tap-zohobooks", "target-bigquery-audit")  # the scheduled poll, meanwhile
        out, err = live.communicate(timeout=180)
        assert live.returncode == 0, err[-3000:]
    finally:
        os.killpg(receiver.pid, signal.SIGTERM)
        receiver.wait(20)

    rows = query(bq, f"SELECT invoice_id, _source FROM `{dataset}.invoices` WHERE invoice_id IN "
                     f"({', '.join(repr(i) for i in created)})")
    assert {r["invoice_id"] for r in rows} == set(created)
    assert {r["invoice_id"] for r in query(bq, f"SELECT invoice_id FROM `{dataset}.invoices_current`")} >= set(created)
    states = meltano(env, "state", "list").stdout.split()
    assert {"local:tap-zohobooks--live-to-target-bigquery-audit", "local:tap-zohobooks-to-target-bigquery-audit"} <= set(states)
    live_state = json.loads(meltano(env, "state", "get", "local:tap-zohobooks--live-to-target-bigquery-audit").stdout)
    assert live_state["singer_state"] == {"bookmarks": {"webhook_spool": {"last_seq": 5}}}
