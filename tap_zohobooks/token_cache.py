"""The access token, cached across runs and encrypted at rest (Fernet), file mode 0600.

Why: Zoho allows 10 token mints per refresh token per 10 minutes; a tap scheduled every few minutes,
or several taps on one refresh token, would hit that limit if each run minted its own token.
A cache that cannot be read or decrypted is ignored with a warning, never a crash.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


@dataclass
class CachedToken:
    access_token: str
    api_domain: str
    expires_at: float  # epoch seconds


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tap-zohobooks"


def derive_key(secret: str, context: str) -> bytes:
    """A Fernet key from a passphrase (the cache key setting, or the client secret by default)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"tap-zohobooks token cache",
               info=context.encode()).derive(secret.encode())
    return base64.urlsafe_b64encode(raw)


class TokenCache:
    def __init__(self, path: Path, key_secret: str, identity: str, logger: logging.Logger) -> None:
        # identity ties the cache to one client, refresh token and accounts server, so a changed
        # setting never reuses another account's token.
        self.path = path
        self.identity = hashlib.sha256(identity.encode()).hexdigest()
        self._fernet = Fernet(derive_key(key_secret, self.identity))
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
            data = json.loads(self._fernet.decrypt(blob))
            if data.get("identity") != self.identity:
                return None
            return CachedToken(data["access_token"], data["api_domain"], float(data["expires_at"]))
        except (InvalidToken, ValueError, KeyError, TypeError):
            self._logger.warning("Token cache %s cannot be decrypted (changed key?); ignoring it", self.path)
            return None

    def save(self, token: CachedToken) -> None:
        payload = json.dumps({"identity": self.identity, "access_token": token.access_token,
                              "api_domain": token.api_domain, "expires_at": token.expires_at}).encode()
        blob = self._fernet.encrypt(payload)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = self.path.with_suffix(f".tmp{os.getpid()}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(blob)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
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
