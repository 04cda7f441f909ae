"""Fill a plugin's credential settings from the store when `credential_store` points to it.

The plugin's config then names only the store and the set; the credentials themselves live in memory
for the run. A credential also given in plaintext is overridden by the store (with a warning naming
the setting, never its value), so the store is the one source of truth once it is configured.
"""

from __future__ import annotations

import json
import logging

from .credential_store import CredentialStore

STORE_SETTINGS = ("credential_store", "credential_set")


def with_stored_credentials(config: dict, kind: str, default_set: str, logger: logging.Logger) -> dict:
    """`config` with the fields of its credential set merged in (unchanged without a store)."""
    path = config.get("credential_store")
    if not path:
        return config
    name = config.get("credential_set") or default_set
    fields = CredentialStore.open(path).get(name, kind)
    overridden = sorted(k for k in fields if config.get(k) not in (None, "") and config.get(k) != fields[k])
    if overridden:
        logger.warning("Settings %s are set in plaintext and in credential set %r; using the store's",
                       ", ".join(overridden), name)
    if kind == "google" and isinstance(fields.get("credentials_json"), dict):
        fields["credentials_json"] = json.dumps(fields["credentials_json"])
    logger.info("Credentials %s read from credential set %r of %s", ", ".join(sorted(fields)), name, path)
    return {**config, **fields}


def store_setting_properties(th, kind: str, default_set: str) -> list:
    """The two settings, for a plugin's config_jsonschema (`th` is singer_sdk.typing)."""
    return [
        th.Property("credential_store", th.StringType,
                    description="Path of the encrypted credential store (docs/security.md). Its key comes from "
                                "ZOHOBOOKS_BIGQUERY_STORE_KEY or the key file, never from a setting."),
        th.Property("credential_set", th.StringType, default=default_set,
                    description=f"Name of the {kind} credential set in the store."),
    ]


def with_numbers_parsed(config: dict, schema: dict) -> dict:
    """Number settings given as text (Meltano passes `kind: string` values and env vars as strings, and has
    no safe decimal kind) become numbers before validation: `"0.25"` → 0.25. Text that is no number stays
    as it is, so validation names the setting."""
    parsed = dict(config)
    for name, prop in schema.get("properties", {}).items():
        value = parsed.get(name)
        types = prop.get("type") if isinstance(prop.get("type"), list) else [prop.get("type")]
        if isinstance(value, str) and "number" in types:
            try:
                parsed[name] = float(value) if any(c in value for c in ".eE") else int(value)
            except ValueError:
                pass
    return parsed


def without_blank_required(config: dict, schema: dict) -> dict:
    """Required settings given as empty text are missing, so validation names them: Meltano passes `''` for
    a setting blanked in `meltano.yml` (an inheriting plugin that must not reuse its parent's credentials)
    or set from an empty environment variable."""
    required = set(schema.get("required", []))
    return {k: v for k, v in config.items() if not (k in required and isinstance(v, str) and not v.strip())}
