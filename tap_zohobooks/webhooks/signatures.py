"""Webhook signature verification, constant-time, with two secrets accepted during a rotation.

Zoho Books takes a webhook `secret` but does not document the header or algorithm
(zoho-books-api.md §4.2), so the scheme is a setting:

- `hmac-sha256` (default): hex HMAC-SHA256 of the raw body (an optional `sha256=` prefix is accepted);
- `hmac-sha256-base64`: the same digest, base64;
- `billing`: Zoho Billing's form: HMAC of the sorted query parameters as `keyvalue` pairs + the raw body;
- `payments`: Zoho Payments' form: `t=<ms>,v=<hex HMAC of "t.body">`, `t` within the tolerance;
- `token`: a shared token in the header or in the `token` query parameter (Zoho's "custom parameters").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

SCHEMES = ("hmac-sha256", "hmac-sha256-base64", "billing", "payments", "token")


class SignatureVerifier:
    def __init__(self, secrets: list[str], scheme: str = "hmac-sha256",
                 header: str = "X-Zoho-Webhook-Signature", token_param: str = "token",
                 tolerance_seconds: float = 300.0) -> None:
        if scheme not in SCHEMES:
            raise ValueError(f"webhook_signature_scheme {scheme!r} is not one of {', '.join(SCHEMES)}")
        self.secrets = [s.encode() for s in secrets if s]
        if not self.secrets:
            raise ValueError("webhook_secret is required: the receiver never accepts unsigned deliveries")
        self.scheme = scheme
        self.header = header.lower()
        self.token_param = token_param
        self.excluded_params = {token_param}
        self.tolerance = tolerance_seconds

    def _expected(self, secret: bytes, body: bytes, query: dict[str, str], stamp: str = "") -> bytes:
        if self.scheme == "billing":
            message = "".join(f"{k}{v}" for k, v in sorted(query.items()) if k not in self.excluded_params)
            return hmac.new(secret, message.encode() + body, hashlib.sha256).hexdigest().encode()
        if self.scheme == "payments":
            return hmac.new(secret, stamp.encode() + b"." + body, hashlib.sha256).hexdigest().encode()
        digest = hmac.new(secret, body, hashlib.sha256).digest()
        if self.scheme == "hmac-sha256-base64":
            return base64.b64encode(digest)
        return digest.hex().encode()

    def verify(self, body: bytes, headers: dict[str, str], query: dict[str, str]) -> bool:
        """True when the delivery carries a valid signature under the current or previous secret."""
        given = (headers.get(self.header) or "").strip()
        if self.scheme == "token":
            token = (given or query.get(self.token_param, "")).encode()
            return any(hmac.compare_digest(token, secret) for secret in self.secrets) if token else False
        if not given:
            return False
        stamp = ""
        if self.scheme == "payments":
            parts = dict(p.split("=", 1) for p in given.split(",") if "=" in p)
            stamp, given = parts.get("t", ""), parts.get("v", "")
            if not stamp.isdigit() or abs(time.time() * 1000 - int(stamp)) > self.tolerance * 1000:
                return False
        if self.scheme == "hmac-sha256" and given.lower().startswith("sha256="):
            given = given[7:]
        candidate = given.lower().encode() if self.scheme in ("hmac-sha256", "billing", "payments") else given.encode()
        matches = [hmac.compare_digest(candidate, self._expected(s, body, query, stamp)) for s in self.secrets]
        return any(matches)
