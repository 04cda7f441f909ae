"""Authenticated encryption of small files (AES-256-GCM), keyed by a passphrase or a raw key.

A sealed file is: a magic line, a JSON header line, then a 12-byte nonce and the ciphertext with its
GCM tag. The header says how the key is made: `scrypt` (a passphrase, memory-hard, with the file's own
random salt and cost parameters) or `raw` (32 random bytes from a key file). The header is bound to
the ciphertext as associated data, so a changed header (a cheaper KDF, another salt) fails to open
like a wrong key does. Used by the credential store and by the tap's access-token cache.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"ZBQSEAL1\n"
STORE_SCRYPT_N = 2**17  # 128 MiB, ~0.3 s: once per plugin run
CACHE_SCRYPT_N = 2**15  # 32 MiB, ~0.1 s: the token cache is read on every run


class SealError(ValueError):
    """A sealed file cannot be opened: wrong key, tampered, or not a sealed file at all."""


@dataclass
class SealKey:
    """Key material: a passphrase (stretched with scrypt per file) or a raw 32-byte key."""

    passphrase: bytes | None = None
    raw: bytes | None = None
    source: str = "key"  # where it came from, for messages (never the key itself)
    _derived: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if (self.passphrase is None) == (self.raw is None):
            raise ValueError("a SealKey is either a passphrase or a raw key")
        if self.raw is not None and len(self.raw) != 32:
            raise SealError(f"{self.source} is not a 32-byte key")

    @property
    def kind(self) -> str:
        return "scrypt" if self.passphrase is not None else "raw"

    def derive(self, header: dict) -> bytes:
        if header.get("kdf") != self.kind:
            raise SealError(f"the file is encrypted with a {'passphrase' if header.get('kdf') == 'scrypt' else 'key file'}"
                            f", but the key given is a {'passphrase' if self.kind == 'scrypt' else 'key file'}")
        if self.raw is not None:
            return self.raw
        params = (header["salt"], int(header["n"]), int(header["r"]), int(header["p"]))
        if params not in self._derived:  # memory-hard on purpose: derive once per salt
            salt, n, r, p = params
            self._derived[params] = Scrypt(salt=base64.b64decode(salt), length=32, n=n, r=r, p=p).derive(
                self.passphrase)
        return self._derived[params]


def new_header(key: SealKey, *, n: int = STORE_SCRYPT_N, salt: str | None = None) -> dict:
    if key.kind == "raw":
        return {"kdf": "raw"}
    return {"kdf": "scrypt", "n": n, "r": 8, "p": 1, "salt": salt or base64.b64encode(os.urandom(16)).decode()}


def seal(data: bytes, key: SealKey, header: dict) -> bytes:
    head = MAGIC + json.dumps(header, sort_keys=True).encode() + b"\n"
    nonce = os.urandom(12)
    return head + nonce + AESGCM(key.derive(header)).encrypt(nonce, data, head)


def read_header(blob: bytes) -> tuple[dict, bytes, bytes]:
    """(header, the header bytes as associated data, nonce + ciphertext)."""
    if not blob.startswith(MAGIC):
        raise SealError("not an encrypted file of this product")
    end = blob.find(b"\n", len(MAGIC))
    try:
        header = json.loads(blob[len(MAGIC):end])
        if not isinstance(header, dict) or end < 0:
            raise ValueError
    except ValueError:
        raise SealError("the file's header is damaged") from None
    return header, blob[:end + 1], blob[end + 1:]


def unseal(blob: bytes, key: SealKey) -> tuple[bytes, dict]:
    """The plaintext and the header; SealError when the key is wrong or the file was changed."""
    header, aad, rest = read_header(blob)
    if header.get("kdf") == "scrypt" and not (2**14 <= int(header.get("n", 0)) <= 2**20):
        raise SealError("the file's key-derivation cost is outside the accepted range")
    try:
        derived = key.derive(header)
    except (KeyError, ValueError, TypeError) as exc:
        if isinstance(exc, SealError):
            raise
        raise SealError("the file's header is damaged") from None
    try:
        return AESGCM(derived).decrypt(rest[:12], rest[12:], aad), header
    except (InvalidTag, ValueError):
        raise SealError(f"wrong {key.source}, or the file was changed") from None


def write_private(path: Path, data: bytes) -> None:
    """Write atomically (temporary file, fsync, rename) with mode 0600, in a 0700 directory if new."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:  # the rename itself survives a crash only once the directory is synced
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass
