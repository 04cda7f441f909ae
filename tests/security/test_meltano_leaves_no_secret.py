"""A `meltano run` killed mid-run leaves no credential behind when the credentials are in the store.

Meltano writes each plugin's settings to `.meltano/run/<plugin>/*.config.json` and, when the run is
killed, never deletes them. With the store those files hold the store's path and the set's name only.
The secrets here are unique to this test, so any hit is a leak of this run.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
from pathlib import Path

from local_services.meltano_runner import MELTANO, ROOT
from local_services.zoho_sandbox import SANDBOX_CLIENT_ID
from tests.pipeline.conftest import env, plugins  # noqa: F401 - fixtures
from tests.security.fake_google import service_account_key
from zohobooks_bigquery.credential_store import KEY_ENV, CredentialStore, load_key

PLAINTEXT_SETTINGS = ("TAP_ZOHOBOOKS_CLIENT_SECRET", "TAP_ZOHOBOOKS_REFRESH_TOKEN",
                      "TAP_ZOHOBOOKS__EU_CLIENT_SECRET", "TAP_ZOHOBOOKS__EU_REFRESH_TOKEN")


def files_under(*roots: Path):
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and "venv" not in path.relative_to(root).parts[:3]:
                yield path


def test_killed_meltano_run_leaves_only_references(env, sandbox, tmp_path, monkeypatch):  # noqa: F811
    client_secret, refresh_token = f"kill-{secrets.token_hex(12)}", f"1000.kill.{secrets.token_hex(12)}"
    webhook_secret, passphrase = f"wh{secrets.token_hex(10)}", f"pass-{secrets.token_hex(12)}"
    sandbox.oauth.clients[SANDBOX_CLIENT_ID] = client_secret
    sandbox.oauth.add_refresh_token(refresh_token, "us", ["60001000001", "60001000002"])
    info, endpoint = service_account_key()
    monkeypatch.setenv(KEY_ENV, passphrase)
    store = CredentialStore.create(tmp_path / "credentials.store", load_key())
    store.put("zoho", "zoho", {"client_id": SANDBOX_CLIENT_ID, "client_secret": client_secret,
                               "refresh_token": refresh_token, "webhook_secret": webhook_secret})
    store.put("google", "google", {"credentials_json": json.dumps(info)})
    run_env = {k: v for k, v in env.items() if k not in PLAINTEXT_SETTINGS}
    run_env.update({KEY_ENV: passphrase, "TAP_ZOHOBOOKS_CREDENTIAL_STORE": str(store.path),
                    "TARGET_BIGQUERY_AUDIT_CREDENTIAL_STORE": str(store.path)})
    sandbox.faults.arm("slow", count=10_000, path_contains="/invoices/", delay=0.2)
    started = time.time()

    run = subprocess.Popen([str(MELTANO), "run", "tap-zohobooks", "target-bigquery-audit"], cwd=ROOT, env=run_env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while not (endpoint.exchanges and len(sandbox.api_calls()) > 20):  # both plugins are mid-run
            assert run.poll() is None, run.stderr.read().decode()[-3000:]
            assert time.monotonic() < deadline, "the run never got going"
            time.sleep(0.2)
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
        endpoint.server.shutdown()

    left = [p for p in (ROOT / ".meltano" / "run").rglob("*.config.json") if p.stat().st_mtime >= started - 1
            and str(store.path) in p.read_text()]
    assert {p.parent.name for p in left} == {"tap-zohobooks", "target-bigquery-audit"}  # what Meltano leaves
    known = {"client secret": client_secret, "refresh token": refresh_token, "webhook secret": webhook_secret,
             "store passphrase": passphrase, "service-account key": info["private_key"].splitlines()[1],
             "private key id": info["private_key"].splitlines()[-2]}
    hits = [(name, str(path)) for path in files_under(ROOT / ".meltano", tmp_path) if path != store.path
            for name, value in known.items() if value.encode() in path.read_bytes()]
    for path in left:  # what a killed run leaves is this test's to clear
        path.unlink()
    assert hits == []
