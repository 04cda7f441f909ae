"""Service-account auth: the JWT is signed locally, exchanged once, renewed 5 minutes before expiry.

A local token endpoint stands in for Google's: it verifies each JWT assertion's RS256 signature with
the service account's public key before it issues a token.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth.transport.requests import Request

from target_bigquery_audit.credentials import CredentialsError, ProactiveCredentials, build_credentials
from tests.helpers import query, run_target, target_config
from tests.target import singer
from tests.target.singer import INVOICE_SCHEMA, invoice


class TokenEndpoint:
    def __init__(self, public_key, lifetime: int) -> None:
        self.public_key, self.lifetime = public_key, lifetime
        self.exchanges: list[dict] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
                try:
                    claims = jwt.decode(form["assertion"], endpoint.public_key, algorithms=["RS256"],
                                        audience="https://oauth2.googleapis.com/token")
                    status, body = 200, {"access_token": f"token-{len(endpoint.exchanges) + 1}",
                                         "expires_in": endpoint.lifetime, "token_type": "Bearer"}
                    endpoint.exchanges.append(claims)
                except jwt.PyJWTError as exc:
                    status, body = 400, {"error": "invalid_grant", "error_description": str(exc)}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def service_account():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    endpoint = TokenEndpoint(key.public_key(), lifetime=3600)
    info = {"type": "service_account", "project_id": "test-project", "private_key_id": "k1",
            "private_key": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()).decode(),
            "client_email": "loader@test-project.iam.gserviceaccount.com", "client_id": "1",
            "token_uri": endpoint.url}
    yield info, endpoint
    endpoint.server.shutdown()


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
