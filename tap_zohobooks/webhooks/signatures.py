"""Webhook signature verification: constant-time, per-organization secrets, two secrets while rotating.

Zoho Books takes a webhook `secret` but does not document the header or algorithm
(zoho-books-api.md §4.2), so the scheme is a setting. The default signs every input the receiver
acts on; the others sign only the body, so the receiver then takes nothing from the query string:

- `zoho-finance` (default; `billing` is the same scheme under its former name): the form of Zoho's
  finance suite (Billing): hex HMAC-SHA256 of the query parameters sorted by name and written as
  `namevalue` (a form-encoded body's decoded pairs are sorted in with them), followed by the raw body;
- `hmac-sha256`: hex HMAC-SHA256 of the raw body only (an optional `sha256=` prefix is accepted);
- `hmac-sha256-base64`: the same digest, base64;
- `payments`: Zoho Payments' form: `t=<ms>,v=<hex HMAC of "t.body">`, `t` within the tolerance;
- `token`: a shared token in the header or the `token` query parameter (signs nothing: last resort).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

SCHEMES = ("zoho-finance", "billing", "hmac-sha256", "hmac-sha256-base64", "payments", "token")
DEFAULT_SCHEME = "zoho-finance"
QUERY_SIGNED_SCHEMES = ("zoho-finance", "billing")
SHARED = ""  # owner of a secret that serves every organization without a secret of its own


def finance_message(pairs: list[tuple[str, str]], body: bytes) -> bytes:
    """What the `zoho-finance` scheme signs: sorted `namevalue` pairs, then the raw body."""
    return "".join(f"{k}{v}" for k, v in sorted(pairs)).encode() + body


class SignatureVerifier:
    """Checks a delivery against every configured secret and says whose secret signed it."""

    def __init__(self, secrets: list[tuple[str, str]], scheme: str = DEFAULT_SCHEME,
                 header: str = "X-Zoho-Webhook-Signature", token_param: str = "token",
                 tolerance_seconds: float = 300.0) -> None:
        """`secrets`: (owner, secret) pairs; the owner is an organization id, or SHARED."""
        if scheme not in SCHEMES:
            raise ValueError(f"webhook_signature_scheme {scheme!r} is not one of {', '.join(SCHEMES)}")
        self.secrets = [(owner, secret.encode()) for owner, secret in secrets if secret]
        if not self.secrets:
            raise ValueError("webhook_secret (or webhook_secrets) is required: "
                             "the receiver never accepts unsigned deliveries")
        self.scheme = scheme
        self.header = header.lower()
        self.token_param = token_param
        self.tolerance = tolerance_seconds

    @property
    def signs_query(self) -> bool:
        """Whether the query string is covered by the signature (else nothing may be taken from it)."""
        return self.scheme in QUERY_SIGNED_SCHEMES

    def _expected(self, secret: bytes, body: bytes, pairs: list[tuple[str, str]], stamp: str) -> bytes:
        if self.signs_query:  # every parameter, none exempt: whatever the URL carries is signed
            return hmac.new(secret, finance_message(pairs, body), hashlib.sha256).hexdigest().encode()
        if self.scheme == "payments":
            return hmac.new(secret, stamp.encode() + b"." + body, hashlib.sha256).hexdigest().encode()
        digest = hmac.new(secret, body, hashlib.sha256).digest()
        if self.scheme == "hmac-sha256-base64":
            return base64.b64encode(digest)
        return digest.hex().encode()

    def verify(self, body: bytes, headers: dict[str, str], query: dict[str, str],
               form_pairs: list[tuple[str, str]] | None = None) -> set[str]:
        """The owners of the secrets the delivery is validly signed with (empty: refuse it).

        `form_pairs`: the decoded pairs of a form-encoded body, signed with the query parameters.
        """
        given = (headers.get(self.header) or "").strip()
        if self.scheme == "token":
            token = (given or query.get(self.token_param, "")).encode()
            return {owner for owner, secret in self.secrets if token and hmac.compare_digest(token, secret)}
        if not given:
            return set()
        stamp = ""
        if self.scheme == "payments":
            parts = dict(p.split("=", 1) for p in given.split(",") if "=" in p)
            stamp, given = parts.get("t", "").strip(), parts.get("v", "").strip()
            if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 15) \
                    or abs(time.time() * 1000 - int(stamp)) > self.tolerance * 1000:
                return set()  # stale (or from the future): a replayed capture
        if self.scheme == "hmac-sha256" and given.lower().startswith("sha256="):
            given = given[7:]
        if self.scheme != "hmac-sha256-base64":
            given = given.lower()
        candidate = given.encode("utf-8", "replace")
        pairs = list(query.items()) + list(form_pairs or [])
        return {owner for owner, secret in self.secrets
                if hmac.compare_digest(candidate, self._expected(secret, body, pairs, stamp))}
