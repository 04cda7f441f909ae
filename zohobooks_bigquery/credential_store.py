"""The encrypted credential store: named credential sets for Zoho and Google in one sealed file.

A set is either `zoho` (client_id, client_secret, refresh_token and the webhook secrets) or `google`
(a service-account key as JSON). The file is sealed with AES-256-GCM (see sealed.py); its key is a
passphrase in ZOHOBOOKS_BIGQUERY_STORE_KEY (stretched with scrypt and the file's random salt) or a raw
key in a key file (ZOHOBOOKS_BIGQUERY_STORE_KEY_FILE, default ~/.config/zohobooks-bigquery/store.key).
The key is never a plugin setting, so Meltano never writes it into a run's config file.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import stat
from pathlib import Path

from .sealed import STORE_SCRYPT_N, SealError, SealKey, new_header, read_header, seal, unseal, write_private

KEY_ENV = "ZOHOBOOKS_BIGQUERY_STORE_KEY"
KEY_FILE_ENV = "ZOHOBOOKS_BIGQUERY_STORE_KEY_FILE"
STORE_ENV = "ZOHOBOOKS_BIGQUERY_STORE"
CONFIG_DIR = Path("~/.config/zohobooks-bigquery")

# The settings each kind of set may hold, and those it must hold.
KINDS = {
    "zoho": {"fields": ("client_id", "client_secret", "refresh_token", "webhook_secret",
                        "webhook_previous_secret", "webhook_secrets", "token_cache_key"),
             "required": ("client_id", "client_secret", "refresh_token")},
    "google": {"fields": ("credentials_json",), "required": ("credentials_json",)},
}


class CredentialStoreError(RuntimeError):
    """The store cannot be used; the message is one line saying what to fix."""


def default_store_path() -> Path:
    return Path(os.environ.get(STORE_ENV) or CONFIG_DIR / "credentials.store").expanduser()


def default_key_file() -> Path:
    return Path(os.environ.get(KEY_FILE_ENV) or CONFIG_DIR / "store.key").expanduser()


def load_key(environ: dict | None = None) -> SealKey:
    """The store key: the passphrase variable if set, else the key file."""
    env = os.environ if environ is None else environ
    if env.get(KEY_ENV):
        return SealKey(passphrase=env[KEY_ENV].encode(), source=f"passphrase ({KEY_ENV})")
    path = Path(env.get(KEY_FILE_ENV) or CONFIG_DIR / "store.key").expanduser()
    try:
        mode = path.stat().st_mode
        text = path.read_text().strip()
    except OSError:
        raise CredentialStoreError(f"no store key: set {KEY_ENV} (a passphrase) or create the key file {path} "
                                   "(zohobooks-credentials init)") from None
    if stat.S_IMODE(mode) & 0o077:
        raise CredentialStoreError(f"key file {path} is readable by other users: chmod 600 {path}")
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise CredentialStoreError(f"key file {path} does not hold a base64 32-byte key "
                                   "(zohobooks-credentials init creates one)")
    return SealKey(raw=raw, source=f"key file {path}")


def create_key_file(path: Path) -> None:
    if path.exists():
        raise CredentialStoreError(f"key file {path} exists already; not overwriting it")
    write_private(path, base64.b64encode(os.urandom(32)) + b"\n")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def check_fields(kind: str, fields: dict) -> None:
    """Refuse unknown kinds, unknown fields, missing required fields and unusable values."""
    if kind not in KINDS:
        raise CredentialStoreError(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")
    unknown = sorted(set(fields) - set(KINDS[kind]["fields"]))
    if unknown:
        raise CredentialStoreError(f"a {kind} set has no field(s) {', '.join(unknown)}; "
                                   f"allowed: {', '.join(KINDS[kind]['fields'])}")
    missing = [name for name in KINDS[kind]["required"] if not fields.get(name)]
    if missing:
        raise CredentialStoreError(f"a {kind} set needs {', '.join(missing)}")
    if kind == "google":
        service_account_info(fields["credentials_json"], "the credentials_json field")
    per_org = fields.get("webhook_secrets", {})
    if not isinstance(per_org, dict) or not all(
            isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))
            for v in per_org.values()):
        raise CredentialStoreError("webhook_secrets must be an object of organization id to a secret, or to "
                                   "[current, previous] while rotating")


def service_account_info(text: str, where: str) -> dict:
    """The parsed service-account key, or one line saying why it is not one."""
    try:
        info = json.loads(text)
    except ValueError:
        raise CredentialStoreError(f"{where} is not JSON: download the service account's JSON key again") from None
    if not isinstance(info, dict) or info.get("type") != "service_account" or not info.get("private_key") \
            or not info.get("client_email"):
        raise CredentialStoreError(f"{where} is not a service-account key (needs type service_account, "
                                   "private_key, client_email)")
    return info


class CredentialStore:
    """One sealed file of credential sets. Every write re-seals the whole file atomically."""

    def __init__(self, path: Path | str, key: SealKey) -> None:
        self.path = Path(path).expanduser()
        self.key = key
        self._sets: dict | None = None
        self._header: dict | None = None

    @classmethod
    def open(cls, path: Path | str, environ: dict | None = None) -> CredentialStore:
        store = cls(path, load_key(environ))
        store.sets  # noqa: B018 - decrypt now, so a wrong key fails here with one line
        return store

    @property
    def sets(self) -> dict:
        if self._sets is None:
            try:
                blob = self.path.read_bytes()
            except FileNotFoundError:
                raise CredentialStoreError(f"credential store {self.path} does not exist "
                                           "(zohobooks-credentials init creates it)") from None
            except OSError as exc:
                raise CredentialStoreError(f"credential store {self.path} unreadable: {exc.strerror}") from None
            try:
                plain, self._header = unseal(blob, self.key)
                self._sets = json.loads(plain)["sets"]
            except SealError as exc:
                raise CredentialStoreError(f"cannot open credential store {self.path}: {exc} "
                                           f"(check {KEY_ENV} or {KEY_FILE_ENV})") from None
        return self._sets

    def get(self, name: str, kind: str) -> dict:
        entry = self.sets.get(name)
        if entry is None:
            raise CredentialStoreError(f"credential set {name!r} is not in {self.path} "
                                       f"(zohobooks-credentials list shows the sets)")
        if entry["kind"] != kind:
            raise CredentialStoreError(f"credential set {name!r} holds {entry['kind']} credentials, not {kind}")
        return dict(entry["fields"])

    def put(self, name: str, kind: str, fields: dict, *, replace: bool = False) -> None:
        check_fields(kind, fields)
        now = _now()
        previous = self.sets.get(name)
        if previous and not replace:
            raise CredentialStoreError(f"credential set {name!r} exists already: use rotate to change it")
        if previous and previous["kind"] != kind:
            raise CredentialStoreError(f"credential set {name!r} holds {previous['kind']} credentials, not {kind}")
        self.sets[name] = {"kind": kind, "fields": fields,
                           "created_at": previous["created_at"] if previous else now,
                           "updated_at": now, "rotations": (previous.get("rotations", 0) + 1) if previous else 0}
        self.save()

    def remove(self, name: str) -> None:
        if self.sets.pop(name, None) is None:
            raise CredentialStoreError(f"credential set {name!r} is not in {self.path}")
        self.save()

    def listing(self) -> list[dict]:
        """Names, kinds, field names and dates: never a value."""
        return [{"name": name, "kind": entry["kind"], "fields": sorted(entry["fields"]),
                 "created_at": entry["created_at"], "updated_at": entry["updated_at"],
                 "rotations": entry.get("rotations", 0)} for name, entry in sorted(self.sets.items())]

    def save(self, key: SealKey | None = None) -> None:
        """Seal and write atomically; with `key`, re-encrypt under that key from now on."""
        sets = self.sets
        if key is not None:
            self.key = key
        header = new_header(self.key, n=int((self._header or {}).get("n", STORE_SCRYPT_N)))
        write_private(self.path, seal(json.dumps({"version": 1, "sets": sets}).encode(), self.key, header))
        self._header = header

    @classmethod
    def create(cls, path: Path | str, key: SealKey) -> CredentialStore:
        store = cls(path, key)
        if store.path.exists():
            raise CredentialStoreError(f"credential store {store.path} exists already")
        store._sets = {}
        store.save()
        return store


def store_kdf(path: Path) -> str:
    """How a store's key is made (passphrase or key file), read from its header without a key."""
    header, _, _ = read_header(Path(path).read_bytes())
    return "passphrase (scrypt)" if header.get("kdf") == "scrypt" else "key file (raw 256-bit key)"
