"""The tap's Singer output: UTF-8 lines, each record's `_raw` document written as canonical JSON.

`_raw` is the source document the audit trail keeps and hashes. Written here in canonical form (sorted
keys, no spaces, numbers with their exact digits, UTF-8 as is), the target can store and hash the text
as it arrives instead of decoding the document and encoding it again, which was about a third of its
decoding and encoding work. The schemas say so with `"x-canonical-json": true` on `_raw`; the target
checks a sample of records against that promise.

RECORD lines are encoded with msgspec, about three times cheaper than the SDK's simplejson writer, in
the SDK's key order. Records hold only JSON values here (conform.py: text, Decimal, int, bool, null,
lists, objects), which both write alike; a record msgspec refuses is written by simplejson. Other
messages (SCHEMA, STATE) are written as the SDK writes them.
"""

from __future__ import annotations

import datetime as dt
import sys

import msgspec
import simplejson
from singer_sdk import singerlib
from singer_sdk.io_base import SingerWriter

from zohobooks_bigquery.canonical_json import canonical_json

_LINE = msgspec.json.Encoder(decimal_format="number")


class CanonicalRawWriter(SingerWriter):
    def serialize_message(self, message: singerlib.Message) -> str:
        data = message.to_dict()
        if data.get("type") != "RECORD":
            return super().serialize_message(message)
        if isinstance(data.get("time_extracted"), dt.datetime):
            data["time_extracted"] = data["time_extracted"].isoformat(sep="T")  # the SDK's text for it
        record = data.get("record")
        raw = record.get("_raw") if isinstance(record, dict) else None
        if isinstance(raw, dict):
            text = canonical_json(raw)
            try:
                return _LINE.encode({**data, "record": {**record, "_raw": msgspec.Raw(text.encode())}}).decode()
            except (TypeError, ValueError, OverflowError):
                data["record"] = {**record, "_raw": simplejson.RawJSON(text)}
                return simplejson.dumps(data, use_decimal=True, default=str, separators=(",", ":"), ignore_nan=True,
                                        ensure_ascii=False)
        return super().serialize_message(message)

    def write_message(self, message: singerlib.Message) -> None:
        """UTF-8 whatever the locale's encoding is (Singer lines are UTF-8 JSON)."""
        line = (self.format_message(message) + "\n").encode()
        out = sys.stdout
        buffer = getattr(out, "buffer", None)
        out.flush()
        if buffer is None:
            out.write(line.decode())
        else:
            buffer.write(line)
            buffer.flush()
