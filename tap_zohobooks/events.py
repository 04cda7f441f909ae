"""One identity per source event, whichever path brought it (poll, webhook, history, replay).

event_id = sha256(organization_id, entity, document_id, last_modified_time as a UTC instant, operation),
so a webhook delivery and a later poll of the same document version agree (docs/design.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib


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


def event_id(organization_id: str, entity: str, document_id: str, last_modified: dt.datetime | str,
             operation: str) -> str:
    instant = parse_instant(last_modified) if isinstance(last_modified, str) else last_modified
    key = "|".join((organization_id, entity, document_id, utc_text(instant), operation))
    return hashlib.sha256(key.encode()).hexdigest()
