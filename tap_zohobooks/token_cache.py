"""The access token, cached across runs and encrypted at rest, file mode 0600.

Why: Zoho allows 10 token mints per refresh token per 10 minutes; a tap scheduled every few minutes,
or several taps on one refresh token, would hit that limit if each run minted its own token.
Encryption is the credential store's scheme (zohobooks_bigquery/sealed.py): AES-256-GCM, the key
stretched with scrypt from the cache passphrase (token_cache_key, default the client secret) and a
random salt kept in each cache file's header. A cache that cannot be read or decrypted (including
caches of older versions) is ignored with a warning, never a crash.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from zohobooks_bigquery.sealed import CACHE_SCRYPT_N, SealError, SealKey, new_header, seal, unseal, write_private


@dataclass
class CachedToken:
    access_token: str
    api_domain: str
    expires_at: float  # epoch seconds


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tap-zohobooks"


class TokenCache:
    def __init__(self, path: Path, key_secret: str, identity: str, logger: logging.Logger) -> None:
        # identity ties the cache to one client, refresh token and accounts server, so a changed
        # setting never reuses another account's token.
        self.path = path
        self.identity = hashlib.sha256(identity.encode()).hexdigest()
        self._key = SealKey(passphrase=key_secret.encode(), source="token cache key")
        self._header: dict | None = None  # the loaded file's salt is reused when saving: one scrypt a run
        self._logger = logger

    @classmethod
    def for_settings(cls, directory: Path, key_secret: str, identity: str, logger: logging.Logger) -> TokenCache:
        name = hashlib.sha256(identity.encode()).hexdigest()[:16]
        return cls(directory / f"token-{name}.bin", key_secret, identity, logger)

    def load(self) -> CachedToken | None:
        try:
            blob = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self._logger.warning("Token cache %s unreadable (%s); minting a new token", self.path, exc.strerror)
            return None
        try:
            plain, header = unseal(blob, self._key)
            data = json.loads(plain)
            if data.get("identity") != self.identity:
                return None
            self._header = header
            return CachedToken(data["access_token"], data["api_domain"], float(data["expires_at"]))
        except (SealError, ValueError, KeyError, TypeError):
            self._logger.warning("Token cache %s cannot be decrypted (changed key?); ignoring it", self.path)
            return None

    def save(self, token: CachedToken) -> None:
        payload = json.dumps({"identity": self.identity, "access_token": token.access_token,
                              "api_domain": token.api_domain, "expires_at": token.expires_at}).encode()
        self._header = self._header or new_header(self._key, n=CACHE_SCRYPT_N)
        try:
            write_private(self.path, seal(payload, self._key, self._header))
        except OSError as exc:
            self._logger.warning("Token cache %s not written (%s); next run mints again", self.path, exc.strerror)

    @contextlib.contextmanager
    def minting_lock(self) -> Iterator[None]:
        """Serialise minting across processes sharing this cache, so concurrent runs mint once."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            handle = open(self.path.with_suffix(".lock"), "a")
        except OSError:
            yield
            return
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
