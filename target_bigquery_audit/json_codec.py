"""JSON in and out of the target, fast and exact: Singer lines in, canonical `_raw` text and row bytes out.

- Singer messages are decoded from stdin's bytes with msgspec; every JSON number with a fraction or an
  exponent becomes a Decimal built from its literal text (never a float), integers stay ints.
- `canonical_json` (shared with the tap: zohobooks_bigquery/canonical_json.py) gives the canonical
  `_raw` text (sorted keys, no spaces, exact decimals, UTF-8 as is) when the target encodes it itself.
- `encode_row` turns one converted row into the JSON bytes sent to BigQuery, once: the same bytes size
  the insertAll request and make its body (or the NDJSON of a load job).
"""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import IO, Any

import msgspec
import simplejson
from singer_sdk.io_base import GenericSingerReader
from singer_sdk.singerlib.exceptions import InvalidInputLine

from zohobooks_bigquery.canonical_json import canonical_json, iso_default

from .record_lines import LINE_START, RecordLineDecoder, marked_canonical

_DECODER = msgspec.json.Decoder(float_hook=Decimal)
_ROW = msgspec.json.Encoder(decimal_format="number")


class SingerBytesReader(GenericSingerReader[bytes]):
    """Reads Singer messages from stdin's bytes (no text decoding pass) with msgspec, money as Decimal.

    RECORD lines of a stream whose `_raw` is marked canonical keep `_raw` as its text (record_lines.py)."""

    def __init__(self) -> None:
        super().__init__()
        self._by_prefix: dict[bytes, RecordLineDecoder] = {}

    @property
    def default_input(self) -> IO[bytes]:
        return sys.stdin.buffer

    def expect_records(self, stream: str, schema: dict) -> None:
        """At each SCHEMA message: how this stream's RECORD lines are decoded from now on."""
        decoder = RecordLineDecoder(stream, schema.get("properties") or {}, decode_json,
                                    lambda doc: canonical_json(doc, decoded=True))
        self._by_prefix.pop(decoder.prefix, None)
        if marked_canonical(schema):
            self._by_prefix[decoder.prefix] = decoder

    def deserialize_json(self, line: bytes | str) -> dict:
        if self._by_prefix and type(line) is bytes:
            end = line.find(b',"record":', len(LINE_START))
            decoder = self._by_prefix.get(line[:end + 10]) if end > 0 else None
            if decoder is not None:
                message = decoder.decode(line)
                if message is not None:
                    return message
                if not decoder.trusted:
                    del self._by_prefix[decoder.prefix]
        try:
            return _DECODER.decode(line)
        except msgspec.DecodeError as exc:
            # The line itself is not repeated: records may carry personal data.
            raise InvalidInputLine(f"A Singer input line is not valid JSON ({exc}); fix the tap's output") from exc


def decode_json(data: bytes) -> Any:
    """One JSON value, numbers as the Singer reader gives them (fractions as Decimal)."""
    return _DECODER.decode(data)


def to_json_text(value: Any) -> str:
    """JSON text with exact decimals (never float) and ISO timestamps (JSON and STRING columns, dead letters)."""
    return simplejson.dumps(value, use_decimal=True, default=iso_default, ensure_ascii=False)


def encode_row(row: dict) -> bytes:
    """One converted row (only str, int, bool, None, lists and dicts) as compact JSON bytes."""
    return _ROW.encode(row)
