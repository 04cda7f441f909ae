"""`zohobooks-credentials` as a user runs it: values only on stdin, never printed back."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from zohobooks_bigquery.credential_store import CredentialStore, KEY_FILE_ENV

CLI = str(Path(sys.executable).parent / "zohobooks-credentials")
ZOHO = {"client_id": "1000.CLIXYZ", "client_secret": "cli-secret-9f8e7d", "refresh_token": "1000.cli.rt.5566",
        "webhook_secret": "cliwebhooksecret42"}


def cli(tmp_path: Path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ZOHOBOOKS_BIGQUERY_")}
    environ.update({KEY_FILE_ENV: str(tmp_path / "store.key"), "ZOHOBOOKS_BIGQUERY_STORE": str(tmp_path / "c.store"),
                    **env})
    return subprocess.run([CLI, *args], input=stdin, capture_output=True, text=True, timeout=60, env=environ)


def test_init_add_rotate_list_verify(tmp_path):
    assert cli(tmp_path, "init").returncode == 0
    assert stat.S_IMODE(os.stat(tmp_path / "store.key").st_mode) == 0o600
    added = cli(tmp_path, "add", "prod-zoho", "--kind", "zoho", stdin=json.dumps(ZOHO))
    assert added.returncode == 0, added.stderr
    rotated = cli(tmp_path, "rotate", "prod-zoho", stdin=json.dumps({"refresh_token": "1000.cli.rt.rotated"}))
    assert rotated.returncode == 0 and "refresh_token" in rotated.stdout
    listing = cli(tmp_path, "list")
    assert "prod-zoho  kind=zoho" in listing.stdout and "rotations=1" in listing.stdout
    verified = cli(tmp_path, "verify")
    assert verified.returncode == 0 and "OK:" in verified.stdout
    output = "".join(r.stdout + r.stderr for r in (added, rotated, listing, verified))
    for value in [*ZOHO.values(), "1000.cli.rt.rotated"]:
        assert value not in output
    os.environ[KEY_FILE_ENV] = str(tmp_path / "store.key")
    try:
        stored = CredentialStore.open(tmp_path / "c.store").get("prod-zoho", "zoho")
    finally:
        del os.environ[KEY_FILE_ENV]
    assert stored == {**ZOHO, "refresh_token": "1000.cli.rt.rotated"}


def test_import_service_account_then_delete_the_plaintext(tmp_path, service_account):
    info, _ = service_account
    cli(tmp_path, "init")
    key_file = tmp_path / "sa.json"
    key_file.write_text(json.dumps(info))
    imported = cli(tmp_path, "import-service-account", "bq", str(key_file))
    assert imported.returncode == 0, imported.stderr
    assert f"delete the plaintext copy: shred -u {key_file}" in imported.stdout
    assert info["private_key"].splitlines()[1] not in imported.stdout + imported.stderr
    assert "bq  kind=google  fields=credentials_json" in cli(tmp_path, "list").stdout


def test_a_wrong_key_is_one_line_without_traceback(tmp_path):
    cli(tmp_path, "init")
    cli(tmp_path, "add", "z", "--kind", "zoho", stdin=json.dumps(ZOHO))
    result = cli(tmp_path, "list", ZOHOBOOKS_BIGQUERY_STORE_KEY="a guessed passphrase")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert [line for line in result.stderr.splitlines() if "ERROR" in line] == [
        line for line in result.stderr.splitlines() if "cannot open credential store" in line]
    assert len(result.stderr.strip().splitlines()) == 1


def test_rekey_moves_the_store_to_a_new_key(tmp_path):
    cli(tmp_path, "init")
    cli(tmp_path, "add", "z", "--kind", "zoho", stdin=json.dumps(ZOHO))
    assert cli(tmp_path, "rekey", ZOHOBOOKS_BIGQUERY_NEW_STORE_KEY="new long passphrase").returncode == 0
    assert cli(tmp_path, "list").returncode == 1  # the old key file no longer opens it
    assert "z  kind=zoho" in cli(tmp_path, "list", ZOHOBOOKS_BIGQUERY_STORE_KEY="new long passphrase").stdout
