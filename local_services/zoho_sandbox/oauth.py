"""Zoho Accounts: refresh-token grant per data center, expiring access tokens, the mint throttle."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from .config import DATA_CENTERS, SandboxConfig

SANDBOX_CLIENT_ID = "1000.SANDBOXCLIENT0000000000000000"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret-0000000000000000"


def sandbox_refresh_token(dc: str) -> str:
    """The seeded refresh token of a data center (one per DC, each sees that DC's organizations)."""
    return f"1000.{dc}sandboxrefresh.0000000000000000"


@dataclass
class RefreshToken:
    token: str
    client_id: str
    dc: str
    org_ids: list[str]
    revoked: bool = False
    mints: list[float] = field(default_factory=list)


@dataclass
class AccessToken:
    token: str
    refresh: RefreshToken
    expires_at: float


class OAuthServer:
    """Holds clients, refresh tokens and minted access tokens; thread-safe."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self.clients: dict[str, str] = {SANDBOX_CLIENT_ID: SANDBOX_CLIENT_SECRET}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.mint_count = 0

    def add_refresh_token(self, token: str, dc: str, org_ids: list[str]) -> None:
        if dc not in DATA_CENTERS:
            raise ValueError(f"unknown data center {dc!r}")
        self.refresh_tokens[token] = RefreshToken(token, SANDBOX_CLIENT_ID, dc, list(org_ids))

    def revoke(self, token: str) -> bool:
        with self._lock:
            rt = self.refresh_tokens.get(token)
            if rt is None:
                return False
            rt.revoked = True
            for key in [k for k, v in self.access_tokens.items() if v.refresh is rt]:
                del self.access_tokens[key]
            return True

    def grant(self, dc: str, form: dict[str, str], api_domain: str) -> tuple[int, dict]:
        """POST /oauth/v2/token. Errors come back as HTTP 200 with an "error" key, as Zoho does."""
        if form.get("grant_type") != "refresh_token":
            return 200, {"error": "unsupported_grant_type"}
        client_id = form.get("client_id", "")
        if client_id not in self.clients:
            return 200, {"error": "invalid_client"}
        if self.clients[client_id] != form.get("client_secret"):
            return 200, {"error": "invalid_client_secret"}
        with self._lock:
            rt = self.refresh_tokens.get(form.get("refresh_token", ""))
            # A refresh token only works at the accounts server of its own data center.
            if rt is None or rt.revoked or rt.dc != dc or rt.client_id != client_id:
                return 200, {"error": "invalid_code"}
            now = time.monotonic()
            rt.mints = [t for t in rt.mints if now - t < self.config.token_mint_window]
            if len(rt.mints) >= self.config.token_mint_limit:
                return 400, {
                    "error_description": "You have made too many requests continuously. "
                    "Please try again after some time.",
                    "error": "Access Denied",
                    "status": "failure",
                }
            rt.mints.append(now)
            self.mint_count += 1
            token = f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
            lifetime = self.config.access_token_lifetime
            self.access_tokens[token] = AccessToken(token, rt, time.time() + lifetime)
        return 200, {
            "access_token": token,
            "scope": "ZohoBooks.fullaccess.READ",
            "api_domain": api_domain,
            "token_type": "Bearer",
            "expires_in": lifetime,
        }

    def authenticate(self, header: str | None, dc: str) -> AccessToken | None:
        """The access token behind an Authorization header, or None if unknown, expired or foreign."""
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme not in ("Zoho-oauthtoken", "Bearer"):
            return None
        with self._lock:
            at = self.access_tokens.get(token.strip())
            if at is None or at.expires_at <= time.time() or at.refresh.revoked:
                return None
            return at if at.refresh.dc == dc else None
