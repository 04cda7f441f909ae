"""Shape a Zoho document to the stream's schema without losing or changing any value.

- `""` and `" "` in non-string fields (numbers, dates, times, booleans) become null: Zoho's empty value.
- date-time values become UTC instants in one text form, so bookmarks compare correctly as strings
  (Zoho sends the organization's local offset, e.g. -0800, which changes with daylight saving).
- custom field values become text (their JSON form), so one typed array holds any tenant's fields.
- numbers stay Decimal: nothing passes through float.
The untouched document is kept beside the typed record (`_raw`), so fields the schema does not know
are never lost.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import simplejson

from .events import parse_instant, utc_text


def _types(schema: dict) -> set[str]:
    declared = schema.get("type", [])
    return {declared} if isinstance(declared, str) else set(declared)


def _blank(value: Any) -> bool:
    return isinstance(value, str) and not value.strip()


def conform(value: Any, schema: dict) -> Any:
    types = _types(schema)
    if value is None:
        return None
    if "object" in types and "properties" in schema:
        if not isinstance(value, dict):
            return None if _blank(value) else value
        return {k: conform(value.get(k), sub) for k, sub in schema["properties"].items() if k in value}
    if "array" in types:
        if not isinstance(value, list):
            return None if _blank(value) else value
        return [conform(item, schema.get("items", {})) for item in value]
    fmt = schema.get("format")
    if fmt == "date-time":
        return None if _blank(value) else utc_text(parse_instant(str(value)))
    if fmt == "date":
        return None if _blank(value) else str(value)[:10]
    if "string" in types:
        if isinstance(value, (dict, list, bool)) or isinstance(value, (int, Decimal)):
            return simplejson.dumps(value, use_decimal=True) if not isinstance(value, (int, Decimal)) else str(value)
        return value
    if _blank(value):
        return None
    if ("number" in types or "integer" in types) and isinstance(value, str):
        try:
            number = Decimal(value.replace(",", ""))
        except ArithmeticError:
            return None  # not a number at all; the original text stays in `_raw`
        return number if "number" in types else int(number)
    if "integer" in types and isinstance(value, Decimal):
        return int(value)
    if "boolean" in types and isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return value
