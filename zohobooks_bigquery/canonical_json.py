"""Canonical JSON text, shared by the tap (which writes `_raw` in it) and the target (which checks it).

Sorted keys, no spaces, numbers with their exact digits (Decimal, never float), UTF-8 as is: byte for
byte the text simplejson gives with `sort_keys`, compact separators, `use_decimal` and
`ensure_ascii=False`, which `_raw` and `_payload_sha256` have always used, two to three times faster
with msgspec. Values msgspec cannot encode the same way go through simplejson itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
import simplejson

_CANONICAL = msgspec.json.Encoder(decimal_format="number", order="sorted")
_DATELIKE = (dt.datetime, dt.date, dt.time)


def iso_default(value: Any) -> Any:
    """simplejson's `default`: date-times as ISO text; anything else is an error."""
    if isinstance(value, _DATELIKE):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _slow_canonical(value: Any) -> str:
    return simplejson.dumps(value, use_decimal=True, sort_keys=True, separators=(",", ":"), default=iso_default,
                            ensure_ascii=False)


def canonical_json(value: Any, decoded: bool = False) -> str:
    """Sorted keys, no spaces, exact decimals: the same payload always gives the same text (and hash).

    Date-times at the top level of a payload (the SDK parses a record's own date-time properties)
    are written as ISO text like before; `decoded=True` says the value comes straight from a JSON
    decoder (a `_raw` document), which never holds one. Anything msgspec cannot encode goes through
    simplejson."""
    if not decoded and type(value) is dict and any(isinstance(v, _DATELIKE) for v in value.values()):
        value = {k: v.isoformat() if isinstance(v, _DATELIKE) else v for k, v in value.items()}
    try:
        return _CANONICAL.encode(value).decode()
    except (TypeError, ValueError, OverflowError):
        return _slow_canonical(value)
