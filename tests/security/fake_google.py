"""A service-account key and a local token endpoint standing in for Google's.

The endpoint verifies each JWT assertion's RS256 signature with the account's public key before it
issues a token, so a test passes only if the key really signed the assertion.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


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


def service_account_key(lifetime: int = 3600) -> tuple[dict, TokenEndpoint]:
    """A fresh RSA service-account key whose token_uri is a running local TokenEndpoint."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    endpoint = TokenEndpoint(key.public_key(), lifetime=lifetime)
    info = {"type": "service_account", "project_id": "test-project", "private_key_id": "k1",
            "private_key": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()).decode(),
            "client_email": "loader@test-project.iam.gserviceaccount.com", "client_id": "1",
            "token_uri": endpoint.url}
    return info, endpoint


@pytest.fixture
def service_account():
    info, endpoint = service_account_key()
    yield info, endpoint
    endpoint.server.shutdown()
