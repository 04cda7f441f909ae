"""Credential mistakes through the real CLIs: one ERROR line that says what to fix, exit 1, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import run_tap, tap_config, target_config
from tests.security.fake_google import service_account_key
from tests.target import singer
from tests.target.singer import INVOICE_SCHEMA, invoice
from zohobooks_bigquery.credential_store import KEY_ENV, CredentialStore, load_key

BIN = Path(sys.executable).parent


def run_cli(executable: str, config: dict, tmp_path: Path, stdin: str = "", env: dict | None = None):
    path = tmp_path / f"{executable}.json"
    path.write_text(json.dumps(config))
    result = subprocess.run([str(BIN / executable), "--config", str(path)], input=stdin, capture_output=True,
                            text=True, timeout=120, env={**os.environ, **(env or {})})
    # The SDK adds its own context line ("An unhandled error occurred while syncing 'bills'", "Error
    # initializing target sink"): it names where, ours says what to fix.
    sdk_context = ("An unhandled error occurred while syncing", "Error initializing target sink")
    errors = [line for line in result.stderr.splitlines() if (" ERROR " in line or line.startswith("ERROR"))
              and not any(context in line for context in sdk_context)]
    return result, errors


def assert_one_clear_line(result, errors, *phrases: str) -> None:
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert len(errors) == 1, result.stderr[-2000:]
    for phrase in phrases:
        assert phrase in errors[0], errors[0]


def test_revoked_refresh_token(sandbox, tmp_path):
    config = {**tap_config(sandbox, tmp_path), "organization_ids": ["60001000002"]}
    run_tap(config)
    sandbox.oauth.revoke(config["refresh_token"])
    result, errors = run_cli("tap-zohobooks", config, tmp_path)
    assert_one_clear_line(result, errors, "is now refused: it was revoked", "create a new refresh token")


def test_wrong_region(sandbox, tmp_path):
    config = tap_config(sandbox, tmp_path, dc="eu", refresh_token=tap_config(sandbox, tmp_path)["refresh_token"])
    result, errors = run_cli("tap-zohobooks", config, tmp_path)
    assert_one_clear_line(result, errors, "refused by the eu data center", "check region")


def test_wrong_store_key(sandbox, key_file, tmp_path):
    store = CredentialStore.create(tmp_path / "credentials.store", load_key())
    store.put("zoho", "zoho", {k: tap_config(sandbox, tmp_path)[k] for k in ("client_id", "client_secret",
                                                                             "refresh_token")})
    config = {"credential_store": str(store.path), "accounts_url": sandbox.accounts_url("us")}
    result, errors = run_cli("tap-zohobooks", config, tmp_path, env={KEY_ENV: "not the key"})
    assert_one_clear_line(result, errors, f"cannot open credential store {store.path}",
                          "encrypted with a key file, but the key given is a passphrase")


def test_wrong_bigquery_key(bigquery_emulator, dataset, tmp_path):
    info, _ = service_account_key()
    _, other_endpoint = service_account_key()  # Google knows another key for this account
    info["token_uri"] = other_endpoint.url
    config = target_config(bigquery_emulator, dataset, tmp_path, credentials_json=json.dumps(info))
    lines = [singer.schema("invoices", INVOICE_SCHEMA, ["invoice_id"]), singer.record("invoices", invoice("1", 1))]
    result, errors = run_cli("target-bigquery-audit", config, tmp_path, stdin="\n".join(lines) + "\n")
    assert_one_clear_line(result, errors, "Google refused the BigQuery service-account key", "invalid_grant",
                          "create a new key")
    assert info["private_key"].splitlines()[1] not in result.stderr


def test_unusable_bigquery_key(bigquery_emulator, dataset, tmp_path):
    config = target_config(bigquery_emulator, dataset, tmp_path, credentials_json='{"type": "service_account"}')
    lines = [singer.schema("invoices", INVOICE_SCHEMA, ["invoice_id"]), singer.record("invoices", invoice("1", 1))]
    result, errors = run_cli("target-bigquery-audit", config, tmp_path, stdin="\n".join(lines) + "\n")
    assert_one_clear_line(result, errors, "credentials_json is not a usable service account key")


def test_wrong_store_key_at_the_webhook_receiver(key_file, tmp_path):
    store = CredentialStore.create(tmp_path / "credentials.store", load_key())
    config = {"credential_store": str(store.path), "webhook_spool_path": str(tmp_path / "spool.db")}
    path = tmp_path / "receiver.json"
    path.write_text(json.dumps(config))
    result = subprocess.run([str(BIN / "tap-zohobooks-webhooks"), "serve", "--config", str(path)], capture_output=True,
                            text=True, timeout=60, env={**os.environ, KEY_ENV: "not the key"})
    errors = [line for line in result.stderr.splitlines() if "ERROR" in line]
    assert_one_clear_line(result, errors, f"cannot open credential store {store.path}")
