"""RECORD lines whose `_raw` document is already canonical JSON: kept as that text, never decoded.

Each tap record carries its source document twice: as typed columns and as `_raw`. Decoding `_raw` into
Python objects only to encode it again as canonical text (sorted keys, no spaces, exact numbers, UTF-8
as is) was about a third of the target's decoding and encoding work. A stream whose schema marks its
`_raw` property with `"x-canonical-json": true` (tap-zohobooks does) promises that its RECORD lines
carry `_raw` in exactly that form. For such a stream the line is decoded with a decoder made from the
stream's schema: every column as usual (numbers with a fraction as Decimal), `_raw` as the bytes it
occupies in the line, which become the row's `_raw` text and are hashed as they are.

The promise is checked, not just trusted: the first record of each stream and one in `CHECK_EVERY`
after it are decoded and encoded again; if the text differs, the stream falls back to the general path
(decode, then canonical encoding) for the rest of the run, with a warning. Any line this decoder does
not take exactly (another key order or spacing, a field the schema does not know, a `_raw` that is not
an object) goes through the general path too, so nothing is refused here that was accepted before.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any, Callable, Literal

import msgspec
import simplejson

CANONICAL_MARK = "x-canonical-json"
CHECK_EVERY = 1000
LINE_START = b'{"type":"RECORD","stream":'
_UNSET = msgspec.UNSET
_astuple = msgspec.structs.astuple
_NAME = msgspec.json.Encoder()
logger = logging.getLogger("target-bigquery-audit")


class CanonicalDocument(simplejson.RawJSON):
    """A `_raw` document as its canonical JSON text (`encoded_json`), as it arrived on the line.

    simplejson writes it back as the object it is (dead-letter records); `decoded` gives the object."""

    __slots__ = ()

    def decoded(self, decode: Callable[[bytes], Any]) -> Any:
        return decode(self.encoded_json.encode())


def marked_canonical(schema: dict) -> bool:
    raw = (schema.get("properties") or {}).get("_raw")
    return isinstance(raw, dict) and raw.get(CANONICAL_MARK) is True


class RecordLineDecoder:
    """Decodes one stream's RECORD lines, `_raw` kept as text; None for a line it does not take."""

    def __init__(self, stream: str, properties: dict, decode_any: Callable[[bytes], Any],
                 canonical: Callable[[Any], str]) -> None:
        self.stream = stream
        self.prefix = LINE_START + _NAME.encode(stream) + b',"record":'
        names = [name for name in properties if name != "_raw"]
        fields: list[tuple] = [(f"f{i}", Any, _UNSET) for i in range(len(names))] + [("raw", msgspec.Raw, _UNSET)]
        rename = {f"f{i}": name for i, name in enumerate(names)} | {"raw": "_raw"}
        record = msgspec.defstruct("Record", fields, rename=rename, forbid_unknown_fields=True)
        line = msgspec.defstruct("Line", [("type", Literal["RECORD"]), ("stream", Literal[stream]), ("record", record),
                                          ("version", Any, _UNSET), ("time_extracted", Any, _UNSET)],
                                 forbid_unknown_fields=True)
        self._decoder = msgspec.json.Decoder(line, float_hook=Decimal)
        self._names = names + ["_raw"]
        self._decode_any = decode_any
        self._canonical = canonical
        self._until_check = 0  # the first record is checked
        self.trusted = True

    def decode(self, line: bytes) -> dict | None:
        try:
            message = self._decoder.decode(line)
        except (msgspec.ValidationError, msgspec.DecodeError):
            return None  # not this decoder's shape: the general path decides (and names any error)
        record = {name: value for name, value in zip(self._names, _astuple(message.record)) if value is not _UNSET}
        raw = record.get("_raw")
        if raw is not None:
            text = bytes(raw).decode()
            if text[:1] != "{":
                return None  # null, or not an object: the general path handles it as before
            if self._until_check == 0:
                self._until_check = CHECK_EVERY
                if not self._is_canonical(text):
                    return None
            self._until_check -= 1
            record["_raw"] = CanonicalDocument(text)
        out = {"type": "RECORD", "stream": self.stream, "record": record}
        if message.time_extracted is not _UNSET:
            out["time_extracted"] = message.time_extracted
        if message.version is not _UNSET:
            out["version"] = message.version
        return out

    def _is_canonical(self, text: str) -> bool:
        if self._canonical(self._decode_any(text.encode())) == text:
            return True
        self.trusted = False
        logger.warning("Stream %s: its schema marks `_raw` as canonical JSON, but a record's `_raw` is not in "
                       "canonical form; its documents are encoded again for the rest of the run", self.stream)
        return False
