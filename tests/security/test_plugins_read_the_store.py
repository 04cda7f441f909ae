"""Tap and target take their credentials from the store when `credential_store` points to it."""

from __future__ import annotations

import json
import logging

import pytest

from local_services.zoho_sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, sandbox_refresh_token
from tap_zohobooks.tap import TapZohoBooks
from tests.helpers import query, run_tap, run_target, tap_config, target_config
from tests.target import singer
from tests.target.singer import INVOICE_SCHEMA, invoice
from zohobooks_bigquery.credential_store import CredentialStore, CredentialStoreError, load_key


@pytest.fixture
def store(key_file, tmp_path):
    return CredentialStore.create(tmp_path / "credentials.store", load_key())


def without_credentials(config: dict) -> dict:
    return {k: v for k, v in config.items() if k not in ("client_id", "client_secret", "refresh_token")}


def test_the_tap_syncs_with_credentials_only_in_the_store(sandbox, store, tmp_path):
    store.put("zoho-us", "zoho", {"client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET,
                                  "refresh_token": sandbox_refresh_token("us"), "webhook_secret": "whsec0123456789"})
    config = {**without_credentials(tap_config(sandbox, tmp_path)), "credential_store": str(store.path),
              "credential_set": "zoho-us", "organization_ids": ["60001000002"]}
    result = run_tap(config)
    assert result.records("invoices")
    tap = TapZohoBooks(config=config, parse_env_config=False)
    assert tap.config["webhook_secret"] == "whsec0123456789"  # the receiver's settings come from it too
    assert "60001000002" in json.dumps(result.state)


def test_without_store_or_plaintext_the_tap_names_what_is_missing(sandbox, tmp_path):
    from singer_sdk.exceptions import ConfigValidationError

    with pytest.raises(ConfigValidationError) as raised:
        TapZohoBooks(config=without_credentials(tap_config(sandbox, tmp_path)), parse_env_config=False)
    assert any("client_secret" in error for error in raised.value.errors)


def test_the_store_wins_over_plaintext_with_a_warning(sandbox, store, tmp_path, caplog):
    store.put("zoho", "zoho", {"client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET,
                               "refresh_token": sandbox_refresh_token("us")})
    config = {**tap_config(sandbox, tmp_path), "client_secret": "stale-plaintext-secret",
              "credential_store": str(store.path)}
    with caplog.at_level(logging.WARNING):
        assert TapZohoBooks(config=config, parse_env_config=False).config["client_secret"] == SANDBOX_CLIENT_SECRET
    assert "client_secret are set in plaintext and in credential set 'zoho'" in caplog.text
    assert SANDBOX_CLIENT_SECRET not in caplog.text and "stale-plaintext-secret" not in caplog.text


def test_a_set_of_the_wrong_kind_or_name_is_refused(sandbox, store, tmp_path, service_account):
    store.put("google", "google", {"credentials_json": json.dumps(service_account[0])})
    config = {**without_credentials(tap_config(sandbox, tmp_path)), "credential_store": str(store.path)}
    with pytest.raises(CredentialStoreError, match="credential set 'zoho' is not in"):
        TapZohoBooks(config=config, parse_env_config=False)
    with pytest.raises(CredentialStoreError, match="holds google credentials, not zoho"):
        TapZohoBooks(config={**config, "credential_set": "google"}, parse_env_config=False)


def test_the_target_signs_with_the_stored_service_account_key(store, service_account, bigquery_emulator, bq,
                                                               dataset, tmp_path):
    info, endpoint = service_account
    store.put("bq", "google", {"credentials_json": json.dumps(info)})
    config = target_config(bigquery_emulator, dataset, tmp_path, credential_store=str(store.path),
                           credential_set="bq")
    run_target(config, [singer.schema("invoices", INVOICE_SCHEMA, ["invoice_id"]),
                        singer.record("invoices", invoice("1", 1))])
    assert len(query(bq, f"SELECT * FROM `{dataset}.invoices`")) == 1
    assert [claims["iss"] for claims in endpoint.exchanges] == [info["client_email"]]
