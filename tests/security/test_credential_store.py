"""The credential store: round trip, private file, nothing readable without the key, wrong key refused."""

from __future__ import annotations

import base64
import json
import os
import stat

import pytest

from zohobooks_bigquery.credential_store import (KEY_ENV, CredentialStore, CredentialStoreError, create_key_file,
                                                  load_key)
from zohobooks_bigquery.sealed import MAGIC, read_header

ZOHO = {"client_id": "1000.CLIENTIDXYZ", "client_secret": "secret-client-6d1f0a", "refresh_token": "1000.rt.9c2e77",
        "webhook_secret": "whsecret4242abcd", "webhook_secrets": {"60001000001": "orgsecret77aa"}}


def values(fields: dict) -> list[str]:
    return [v for value in fields.values() for v in (value.values() if isinstance(value, dict) else [value])]


def test_round_trip_with_a_key_file(key_file, tmp_path, service_account):
    info, _ = service_account
    path = tmp_path / "credentials.store"
    store = CredentialStore.create(path, load_key())
    store.put("zoho", "zoho", ZOHO)
    store.put("google", "google", {"credentials_json": json.dumps(info)})
    reopened = CredentialStore.open(path)
    assert reopened.get("zoho", "zoho") == ZOHO
    assert json.loads(reopened.get("google", "google")["credentials_json"]) == info
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    blob = path.read_bytes()
    for secret in values(ZOHO) + [info["private_key"].splitlines()[1], info["client_email"], "zoho"]:
        assert secret.encode() not in blob, secret
    assert read_header(blob)[0] == {"kdf": "raw"}
    assert not [p for p in path.parent.iterdir() if ".tmp" in p.name]  # atomic write left nothing behind


def test_passphrase_store_uses_scrypt_with_a_random_salt(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "correct horse battery staple")
    first = CredentialStore.create(tmp_path / "a.store", load_key())
    second = CredentialStore.create(tmp_path / "b.store", load_key())
    first.put("zoho", "zoho", ZOHO)
    headers = [read_header(p.read_bytes())[0] for p in (tmp_path / "a.store", tmp_path / "b.store")]
    assert all(h["kdf"] == "scrypt" and h["n"] >= 2**17 and h["r"] == 8 for h in headers)
    assert headers[0]["salt"] != headers[1]["salt"] and len(base64.b64decode(headers[0]["salt"])) == 16
    assert CredentialStore.open(tmp_path / "a.store").get("zoho", "zoho") == ZOHO
    del second


def test_a_wrong_passphrase_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "the right passphrase")
    CredentialStore.create(tmp_path / "c.store", load_key()).put("zoho", "zoho", ZOHO)
    monkeypatch.setenv(KEY_ENV, "a wrong passphrase")
    with pytest.raises(CredentialStoreError) as raised:
        CredentialStore.open(tmp_path / "c.store")
    message = str(raised.value)
    assert "\n" not in message and "wrong passphrase" in message and KEY_ENV in message
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_a_wrong_key_file_is_refused(key_file, tmp_path, monkeypatch):
    CredentialStore.create(tmp_path / "d.store", load_key()).put("zoho", "zoho", ZOHO)
    other = tmp_path / "other.key"
    create_key_file(other)
    monkeypatch.setenv("ZOHOBOOKS_BIGQUERY_STORE_KEY_FILE", str(other))
    with pytest.raises(CredentialStoreError, match="wrong key file"):
        CredentialStore.open(tmp_path / "d.store")


def test_a_passphrase_cannot_open_a_key_file_store(key_file, tmp_path, monkeypatch):
    CredentialStore.create(tmp_path / "e.store", load_key())
    monkeypatch.setenv(KEY_ENV, "some passphrase")
    with pytest.raises(CredentialStoreError, match="encrypted with a key file, but the key given is a passphrase"):
        CredentialStore.open(tmp_path / "e.store")


def test_a_tampered_header_or_body_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "passphrase for tamper test")
    path = tmp_path / "f.store"
    CredentialStore.create(path, load_key()).put("zoho", "zoho", ZOHO)
    blob = path.read_bytes()
    header, aad, rest = read_header(blob)
    cheaper = MAGIC + json.dumps({**header, "n": 2**14}, sort_keys=True).encode() + b"\n" + rest
    path.write_bytes(cheaper)
    with pytest.raises(CredentialStoreError, match="wrong passphrase .* or the file was changed"):
        CredentialStore.open(path)
    path.write_bytes(aad + rest[:-1] + bytes([rest[-1] ^ 1]))
    with pytest.raises(CredentialStoreError, match="or the file was changed"):
        CredentialStore.open(path)


def test_a_key_file_others_can_read_is_refused(key_file):
    key_file.chmod(0o644)
    with pytest.raises(CredentialStoreError, match=f"readable by other users: chmod 600 {key_file}"):
        load_key()


def test_no_key_at_all_says_how_to_make_one(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.setenv("ZOHOBOOKS_BIGQUERY_STORE_KEY_FILE", str(tmp_path / "missing.key"))
    with pytest.raises(CredentialStoreError, match="no store key: set ZOHOBOOKS_BIGQUERY_STORE_KEY .* init"):
        load_key()


def test_listing_shows_names_and_dates_never_values(key_file, tmp_path):
    store = CredentialStore.create(tmp_path / "g.store", load_key())
    store.put("zoho", "zoho", ZOHO)
    store.put("zoho", "zoho", {**ZOHO, "refresh_token": "1000.rt.rotated"}, replace=True)
    listing = store.listing()
    assert [(e["name"], e["kind"], e["rotations"]) for e in listing] == [("zoho", "zoho", 1)]
    assert listing[0]["fields"] == sorted(ZOHO) and listing[0]["created_at"] <= listing[0]["updated_at"]
    text = json.dumps(listing)
    assert not [v for v in values(ZOHO) + ["1000.rt.rotated"] if v in text]


def test_sets_are_checked_before_they_are_stored(key_file, tmp_path):
    store = CredentialStore.create(tmp_path / "h.store", load_key())
    with pytest.raises(CredentialStoreError, match="a zoho set needs refresh_token"):
        store.put("zoho", "zoho", {"client_id": "a", "client_secret": "b"})
    with pytest.raises(CredentialStoreError, match="not a service-account key"):
        store.put("google", "google", {"credentials_json": '{"type": "authorized_user"}'})
    with pytest.raises(CredentialStoreError, match="webhook_secrets must be an object"):
        store.put("zoho", "zoho", {**ZOHO, "webhook_secrets": {"60001000001": 42}})
    store.put("rotating", "zoho", {**ZOHO, "webhook_secrets": {"60001000001": ["new0123456789", "old0123456789"]}})
    with pytest.raises(CredentialStoreError, match="exists already: use rotate"):
        store.put("zoho", "zoho", ZOHO)
        store.put("zoho", "zoho", ZOHO)
