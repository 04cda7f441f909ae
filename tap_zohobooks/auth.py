"""OAuth2 refresh-token auth against the right Zoho data center, refreshed before it expires.

No call is made with a token known to be expired: the token is renewed `refresh_margin` seconds
before `expires_in` runs out. A 401 forces one renewal (the caller retries once). Zoho's token
errors arrive as HTTP 200 with an "error" key and are turned into one-line messages.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import requests

from .regions import region
from .token_cache import CachedToken, TokenCache, default_cache_dir

# Zoho answers `invalid_code` both for a revoked refresh token and for one created in another data
# center (a token only works at its own accounts server), and the token endpoint never says which.
# The refresh token is only ever sent to the configured region's server; what tells the two apart is
# whether this client and refresh token have minted here before (their token cache file exists).
REVOKED = ("the refresh token worked at {url} before and is now refused: it was revoked (or the self-client "
           "was deleted); create a new refresh token (see README, 'Zoho credentials')")
REFUSED_HERE = ("the refresh token is refused by the {region} data center ({url}): check region (a token only "
                "works in the data center where it was created), or, if region is right, the token is wrong or "
                "revoked: create a new refresh token (see README, 'Zoho credentials')")
TOKEN_ERRORS = {
    "invalid_client": "client_id is not known to this Zoho data center: check client_id and region",
    "invalid_client_secret": "client_secret does not match client_id: copy it again from the API console",
}


class ZohoAuthError(RuntimeError):
    """A token could not be obtained; the message says what to fix."""


class ZohoAuth:
    def __init__(self, config: dict, logger: logging.Logger, session: requests.Session | None = None) -> None:
        self.config = config
        self.logger = logger
        self.session = session or requests.Session()
        dc = region(config.get("region", "us"))
        self.accounts_url = (config.get("accounts_url") or dc.accounts_url).rstrip("/")
        self.default_api_domain = (config.get("api_url") or dc.api_domain).rstrip("/")
        self.margin = float(config.get("token_refresh_margin_seconds", 300))
        self.throttle_max_wait = float(config.get("token_throttle_max_wait_seconds", 660))
        identity = "|".join((config["client_id"], config["refresh_token"], self.accounts_url))
        key = config.get("token_cache_key") or config["client_secret"]
        cache_dir = Path(config["token_cache_dir"]) if config.get("token_cache_dir") else default_cache_dir()
        self.cache = TokenCache.for_settings(cache_dir, key, identity, logger) if config.get(
            "token_cache_enabled", True) else None
        self._token: CachedToken | None = None
        self._lock = threading.Lock()
        self.mints = 0

    def _fresh(self, token: CachedToken | None) -> bool:
        return token is not None and token.expires_at - self.margin > time.time()

    @property
    def api_domain(self) -> str:
        # Zoho's api_domain wins; an explicit api_url override wins over both (proxies, the sandbox).
        if self.config.get("api_url"):
            return self.default_api_domain
        return (self._token.api_domain if self._token else "") or self.default_api_domain

    def access_token(self) -> str:
        with self._lock:  # fetch workers share one token: one of them renews it, once
            if not self._fresh(self._token):
                self._token = self._cached_or_minted()
            return self._token.access_token

    def invalidate(self) -> None:
        """Forget a token Zoho rejected (401), so the next call mints a new one instead of reusing it."""
        with self._lock:
            if self._token is not None:
                self._rejected = self._token.access_token
            self._token = None

    _rejected: str | None = None

    def _cached_or_minted(self) -> CachedToken:
        if self.cache is None:
            return self._mint()
        with self.cache.minting_lock():
            cached = self.cache.load()
            if self._fresh(cached) and cached.access_token != self._rejected:
                return cached
            token = self._mint()
            self.cache.save(token)
            return token

    def _mint(self) -> CachedToken:
        form = {"grant_type": "refresh_token", "client_id": self.config["client_id"],
                "client_secret": self.config["client_secret"], "refresh_token": self.config["refresh_token"]}
        url = f"{self.accounts_url}/oauth/v2/token"
        waited, delay = 0.0, float(self.config.get("token_throttle_initial_wait_seconds", 30))
        while True:
            try:
                response = self.session.post(url, data=form, timeout=30)
                body = response.json()
            except (requests.RequestException, ValueError) as exc:
                raise ZohoAuthError(f"Zoho accounts server {self.accounts_url} unreachable or not JSON "
                                    f"({type(exc).__name__}): check region / accounts_url") from None
            error = body.get("error")
            if not error and body.get("access_token"):
                self.mints += 1
                self.logger.info("Minted a Zoho access token at %s (valid %ss)", self.accounts_url,
                                 body.get("expires_in"))
                return CachedToken(body["access_token"], (body.get("api_domain") or "").rstrip("/"),
                                   time.time() + float(body.get("expires_in", 3600)))
            if error == "Access Denied" or "too many requests" in str(body.get("error_description", "")):
                if waited + delay > self.throttle_max_wait:
                    raise ZohoAuthError(
                        "Zoho refuses new access tokens (10 per refresh token per 10 minutes) and still did "
                        f"after {waited:.0f}s: wait 10 minutes, and check that no other job mints with this "
                        "refresh token") from None
                self.logger.warning("Zoho token limit reached; waiting %.1fs before retrying", delay)
                time.sleep(delay)
                waited += delay
                delay *= 2
                continue
            if error == "invalid_code":
                raise ZohoAuthError(self._invalid_code_message()) from None
            raise ZohoAuthError(TOKEN_ERRORS.get(error, f"Zoho token endpoint answered error {error!r}"))

    def _invalid_code_message(self) -> str:
        minted_here_before = self.cache is not None and self.cache.path.exists()
        template = REVOKED if minted_here_before else REFUSED_HERE
        return template.format(url=self.accounts_url, region=self.config.get("region", "us"))
