"""JSON in and out of the target, fast and exact: Singer lines in, canonical `_raw` text and row bytes out.

- Singer messages are decoded from stdin's bytes with msgspec; every JSON number with a fraction or an
  exponent becomes a Decimal built from its literal text (never a float), integers stay ints.
- `canonical_json` (sorted keys, no spaces, exact decimals, UTF-8 as is) gives byte for byte the text
  simplejson gives with those options, which `_raw` and `_payload_sha256` have always used, about two
  to three times faster; values msgspec cannot encode the same way fall back to simplejson.
- `encode_row` turns one converted row into the JSON bytes sent to BigQuery, once: the same bytes size
  the insertAll request and make its body (or the NDJSON of a load job).
"""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from typing import IO, Any

import msgspec
import simplejson
from singer_sdk.io_base import GenericSingerReader
from singer_sdk.singerlib.exceptions import InvalidInputLine

_DECODER = msgspec.json.Decoder(float_hook=Decimal)
_CANONICAL = msgspec.json.Encoder(decimal_format="number", order="sorted")
_ROW = msgspec.json.Encoder(decimal_format="number")
_DATELIKE = (dt.datetime, dt.date, dt.time)


class SingerBytesReader(GenericSingerReader[bytes]):
    """Reads Singer messages from stdin's bytes (no text decoding pass) with msgspec, money as Decimal."""

    @property
    def default_input(self) -> IO[bytes]:
        return sys.stdin.buffer

    def deserialize_json(self, line: bytes | str) -> dict:
        try:
            return _DECODER.decode(line)
        except msgspec.DecodeError as exc:
            # The line itself is not repeated: records may carry personal data.
            raise InvalidInputLine(f"A Singer input line is not valid JSON ({exc}); fix the tap's output") from exc


def _default(value: Any) -> Any:
    if isinstance(value, _DATELIKE):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def to_json_text(value: Any) -> str:
    """JSON text with exact decimals (never float) and ISO timestamps (JSON and STRING columns, dead letters)."""
    return simplejson.dumps(value, use_decimal=True, default=_default, ensure_ascii=False)


def _slow_canonical(value: Any) -> str:
    return simplejson.dumps(value, use_decimal=True, sort_keys=True, separators=(",", ":"), default=_default,
                            ensure_ascii=False)


def canonical_json(value: Any, decoded: bool = False) -> str:
    """Sorted keys, no spaces, exact decimals: the same payload always gives the same text (and hash).

    Date-times at the top level of a payload (the SDK parses a record's own date-time properties)
    are written as ISO text like before; `decoded=True` says the value comes straight from the Singer
    decoder (a `_raw` document), which never holds one. Anything msgspec cannot encode goes through
    simplejson."""
    if not decoded and type(value) is dict and any(isinstance(v, _DATELIKE) for v in value.values()):
        value = {k: v.isoformat() if isinstance(v, _DATELIKE) else v for k, v in value.items()}
    try:
        return _CANONICAL.encode(value).decode()
    except (TypeError, ValueError, OverflowError):
        return _slow_canonical(value)


def encode_row(row: dict) -> bytes:
    """One converted row (only str, int, bool, None, lists and dicts) as compact JSON bytes."""
    return _ROW.encode(row)
