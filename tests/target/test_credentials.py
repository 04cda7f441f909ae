"""Service-account auth: the JWT is signed locally, exchanged once, renewed 5 minutes before expiry.

A local token endpoint stands in for Google's (tests/security/fake_google.py): it verifies each JWT
assertion's RS256 signature with the service account's public key before it issues a token.
"""

from __future__ import annotations

import json
import logging
import time

import pytest
from google.auth.transport.requests import Request

from target_bigquery_audit.credentials import CredentialsError, ProactiveCredentials, build_credentials
from tests.helpers import query, run_target, target_config
from tests.security.fake_google import service_account  # noqa: F401 - fixture
from tests.target import singer
from tests.target.singer import INVOICE_SCHEMA, invoice


def test_one_exchange_for_many_inserts(service_account, bigquery_emulator, bq, dataset, tmp_path):
    info, endpoint = service_account
    config = target_config(bigquery_emulator, dataset, tmp_path, credentials_json=json.dumps(info), batch_size_rows=1)
    run_target(config, [singer.schema("invoices", INVOICE_SCHEMA, ["invoice_id"])] +
               [singer.record("invoices", invoice(str(i), i)) for i in range(25)])
    assert len(query(bq, f"SELECT * FROM `{dataset}.invoices`")) == 25
    assert len(endpoint.exchanges) == 1
    assert endpoint.exchanges[0]["iss"] == info["client_email"]  # a JWT signed with the account's key


def test_token_is_renewed_in_the_background_before_expiry(service_account):
    info, endpoint = service_account
    endpoint.lifetime = 302  # with the default 300 s margin, due for renewal 2 s after it is issued
    credentials = build_credentials({"credentials_json": json.dumps(info)}, logging.getLogger("t"))
    assert isinstance(credentials, ProactiveCredentials)
    headers: dict = {}
    credentials.before_request(Request(), "POST", "https://bigquery", headers)
    assert headers["authorization"] == "Bearer token-1" and len(endpoint.exchanges) == 1
    credentials.before_request(Request(), "POST", "https://bigquery", headers)
    assert len(endpoint.exchanges) == 1  # still fresh: no second exchange
    time.sleep(2.2)
    started = time.monotonic()
    credentials.before_request(Request(), "POST", "https://bigquery", headers)
    assert headers["authorization"] == "Bearer token-1"  # the hot path used the still-valid token...
    assert time.monotonic() - started < 0.05  # ...without waiting for the renewal
    deadline = time.monotonic() + 5
    while len(endpoint.exchanges) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(endpoint.exchanges) == 2
    credentials.before_request(Request(), "POST", "https://bigquery", headers)
    assert headers["authorization"] == "Bearer token-2"


def test_margin_is_configurable(service_account):
    info, endpoint = service_account
    endpoint.lifetime = 30
    credentials = build_credentials({"credentials_json": json.dumps(info), "token_refresh_margin_seconds": 10},
                                    logging.getLogger("t"))
    headers: dict = {}
    for _ in range(3):
        credentials.before_request(Request(), "POST", "https://bigquery", headers)
    assert len(endpoint.exchanges) == 1  # 30 s token, 10 s margin: nothing due yet


def test_a_bad_key_is_a_clear_error():
    with pytest.raises(CredentialsError, match="not a usable service account key"):
        build_credentials({"credentials_json": '{"type": "service_account"}'}, logging.getLogger("t"))


def test_the_quota_project_header_is_kept(service_account, monkeypatch):
    info, endpoint = service_account
    monkeypatch.setenv("GOOGLE_CLOUD_QUOTA_PROJECT", "billing-proj")
    credentials = build_credentials({"credentials_json": json.dumps(info)}, logging.getLogger("t"))
    headers: dict = {}
    credentials.before_request(Request(), "POST", "https://bigquery", headers)
    assert headers == {"authorization": "Bearer token-1", "x-goog-user-project": "billing-proj"}
    assert credentials.quota_project_id == "billing-proj"


def test_an_endpoint_override_alone_never_means_anonymous(monkeypatch, tmp_path):
    # No key, no application default credentials, an emulator-like endpoint: still a clear error.
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    monkeypatch.setenv("GCE_METADATA_HOST", "127.0.0.1:1")
    monkeypatch.setenv("GCE_METADATA_IP", "127.0.0.1:1")
    with pytest.raises(CredentialsError, match="no BigQuery credentials"):
        build_credentials({"api_endpoint": "http://127.0.0.1:9050"}, logging.getLogger("t"))
