"""One identity per source event, whichever path brought it (poll, webhook, history, replay).

    event_id = sha256(organization_id, entity, document_id, version, operation)

The version of a document is its `last_modified_time` as a UTC instant, so a webhook delivery and a
later poll of the same version agree. Zoho leaves `last_modified_time` out on some documents (some
vendor payments, older documents); their version is then derived from what actually changed: a
canonical hash of the document's content (`sha256:<32 hex>`), chained to its predecessor when the
content returns to an earlier one (`sha256:<32 hex><<16 hex>`, see content_versions.py), so two
different contents never share an event id, and a document that returns to an earlier content is
still a new version.
docs/identity.md describes the canonical form.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import simplejson

CONTENT_PREFIX = "sha256:"
# Fields Zoho computes when a document is read, not when it is saved ("Due in 3 day(s)"): they change
# every day without an edit, so they are left out of the content hash.
VOLATILE_FIELDS = frozenset({"due_days"})


def parse_instant(text: str) -> dt.datetime:
    """Zoho timestamps (`2013-11-18T02:17:40-0800`) and ISO forms, as aware UTC datetimes."""
    value = text.strip().replace("Z", "+00:00")
    if len(value) >= 5 and value[-5] in "+-" and value[-4:].isdigit():
        value = value[:-2] + ":" + value[-2:]
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without a UTC offset: {text!r}")
    return parsed.astimezone(dt.timezone.utc)


def utc_text(instant: dt.datetime) -> str:
    """The one timestamp form the tap emits and bookmarks (string order = time order)."""
    return instant.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def zoho_filter_text(instant: dt.datetime) -> str:
    """The form Zoho's `last_modified_time` filter takes: ±HHMM offset, no colon."""
    return instant.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, numbers with their exact digits (never float), UTF-8 text as is."""
    return simplejson.dumps(value, use_decimal=True, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_digest(doc: dict) -> str:
    """32 hex digits of SHA-256 over the document's canonical JSON, volatile fields left out."""
    stable = {k: v for k, v in doc.items() if k not in VOLATILE_FIELDS}
    return hashlib.sha256(canonical_json(stable).encode()).hexdigest()[:32]


def modified_instant(doc: dict) -> dt.datetime | None:
    """The document's `last_modified_time` as a UTC instant, or None when Zoho gave none."""
    value = doc.get("last_modified_time")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value if isinstance(value, dt.datetime) else parse_instant(str(value))


def version_token(doc: dict, previous_digest: str | None = None) -> str:
    """The document's version: its UTC modification time, or a content version when it has none.

    `previous_digest` is the content digest of the version seen before (when the caller knows it).
    """
    instant = modified_instant(doc)
    if instant is not None:
        return utc_text(instant)
    digest = content_digest(doc)
    token = CONTENT_PREFIX + digest
    if previous_digest and previous_digest != digest:
        token += "<" + previous_digest[:16]
    return token


def is_content_version(version: str) -> bool:
    return version.startswith(CONTENT_PREFIX)


def event_id(organization_id: str, entity: str, document_id: str, version: dt.datetime | str,
             operation: str) -> str:
    """The event id of one version of a document (`version`: an instant, a timestamp text, or a token)."""
    if isinstance(version, dt.datetime):
        version = utc_text(version)
    elif not is_content_version(version):
        version = utc_text(parse_instant(version))
    key = "|".join((organization_id, entity, document_id, version, operation))
    return hashlib.sha256(key.encode()).hexdigest()
