"""BigQuery table schema → a self-contained protobuf descriptor, and insertAll-shaped rows → proto bytes.

The Storage Write API takes rows as protocol buffers whose fields match the table's columns. The
rows the sinks build are already exact insertAll JSON values (decimal text for NUMERIC/BIGNUMERIC,
JSON text for JSON, ISO text for TIMESTAMP/DATE), so only a few types change shape here:

- NUMERIC, BIGNUMERIC, JSON, STRING, TIME, DATETIME, GEOGRAPHY: proto `string` (exact text, no float);
- TIMESTAMP: `int64` microseconds since the epoch (integer arithmetic, no float);
- DATE: `int32` days since the epoch; INT64: `int64`; FLOAT64: `double`; BOOL: `bool`; BYTES: `bytes`;
- RECORD: a nested message (`nested_type` of the row message, so the descriptor is self-contained);
  REPEATED columns: repeated fields. NULL is an unset (proto2 optional) field.

A row that cannot be encoded (an unknown column, a value of the wrong kind) is refused with a reason
in BigQuery's words, like insertAll's per-row errors, and goes to the dead-letter table.

Speed: upb builds a whole message, nested line items included, from one dict in C, and skips None
values itself. So the fast path copies and converts only the columns whose shape changes (TIMESTAMP,
DATE, BYTES, and the records that hold them), compiled once per table, and hands the rest to upb as it
is; timestamp and date texts repeat across a feed and are cached. Anything upb does not take (an
unknown or differently cased column, a value of the wrong kind) is encoded again by the careful path,
which walks every key and says what is wrong.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from functools import lru_cache
from typing import Any, Callable

from google.cloud.bigquery import SchemaField
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

FDP = descriptor_pb2.FieldDescriptorProto
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
EPOCH_DATE = dt.date(1970, 1, 1)
ONE_MICROSECOND = dt.timedelta(microseconds=1)
PROTO_TYPES = {
    "INT64": FDP.TYPE_INT64, "INTEGER": FDP.TYPE_INT64, "TIMESTAMP": FDP.TYPE_INT64,
    "FLOAT64": FDP.TYPE_DOUBLE, "FLOAT": FDP.TYPE_DOUBLE,
    "BOOL": FDP.TYPE_BOOL, "BOOLEAN": FDP.TYPE_BOOL,
    "BYTES": FDP.TYPE_BYTES, "DATE": FDP.TYPE_INT32,
}  # every other scalar type (NUMERIC, BIGNUMERIC, JSON, STRING, TIME, DATETIME, ...) travels as text


class RowRefused(ValueError):
    """A row that cannot be encoded for its table; the message is the reason."""


class UnknownColumn(RowRefused):
    """The row has a column the table (as last read) does not: maybe the table was widened since."""


def _instant_micros(value: Any) -> int:
    instant = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.timezone.utc)
    return (instant - EPOCH) // ONE_MICROSECOND


def _day_number(value: Any) -> int:
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return (day - EPOCH_DATE).days


def _epoch_number(compute: Callable[[Any], int]) -> Callable[[Any], int]:
    """A TIMESTAMP/DATE converter: an int is taken as it is (already micros or days), text goes through a
    cache (a feed repeats the same instants and days: created times, the run's _loaded_at; errors are not
    cached), anything else is computed."""
    cached = lru_cache(maxsize=8192)(compute)

    def convert(value: Any) -> int:
        if type(value) is str:
            return cached(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return compute(value)
    return convert


_timestamp_micros = _epoch_number(_instant_micros)
_date_days = _epoch_number(_day_number)


def _bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else base64.b64decode(value)


def _int64(value: Any) -> Any:
    """insertAll also takes INT64 as decimal text: read exactly, never through float; upb judges the rest."""
    if type(value) is str and value.isascii() and value.lstrip("-").isdigit():
        return int(value)
    return value


SCALAR_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "TIMESTAMP": _timestamp_micros, "DATE": _date_days, "BYTES": _bytes,
}
# The careful path also takes what the rows usually do not carry (INT64 as text), so the fast path stays lean.
CAREFUL_CONVERTERS = {**SCALAR_CONVERTERS, "INT64": _int64, "INTEGER": _int64}


def _is_record(field: SchemaField) -> bool:
    return field.field_type in ("RECORD", "STRUCT")


def _describe(name: str, fields: list[SchemaField]) -> descriptor_pb2.DescriptorProto:
    message = descriptor_pb2.DescriptorProto(name=name)
    for number, field in enumerate(fields, start=1):
        proto_field = message.field.add(name=field.name, number=number,
                                        label=FDP.LABEL_REPEATED if field.mode == "REPEATED" else FDP.LABEL_OPTIONAL)
        if _is_record(field):
            nested = f"{field.name}__record"
            message.nested_type.append(_describe(nested, list(field.fields)))
            proto_field.type = FDP.TYPE_MESSAGE
            proto_field.type_name = nested  # relative: resolved within this message, keeps it self-contained
        else:
            proto_field.type = PROTO_TYPES.get(field.field_type, FDP.TYPE_STRING)
    return message


def _value_converter(field: SchemaField) -> Callable[[Any], Any] | None:
    """How one column's insertAll value becomes a proto value; None when it is sent as it is."""
    if _is_record(field):
        one = _record_converter(list(field.fields))
    else:
        one = CAREFUL_CONVERTERS.get(field.field_type)
        if one is None:
            return None
    if field.mode == "REPEATED":
        return lambda values: [one(v) for v in values]
    return one


def _record_converter(fields: list[SchemaField]) -> Callable[[dict], dict]:
    converters = {f.name: _value_converter(f) for f in fields}
    lower = {f.name.lower(): f.name for f in fields}

    def convert(row: dict) -> dict:
        out = {}
        for key, value in row.items():
            if value is None:
                continue
            try:
                convert_value = converters[key]
            except KeyError:
                if key.lower() not in lower:
                    raise UnknownColumn(f"no such field: {key}.") from None
                key = lower[key.lower()]
                convert_value = converters[key]
            out[key] = value if convert_value is None else convert_value(value)
        return out
    return convert


def _fast_record_converter(fields: list[SchemaField]) -> Callable[[dict], dict] | None:
    """A copy of a record with only its shape-changing columns converted; None when it has none (upb takes
    the record as it is). Strict on purpose: anything unexpected raises, and the careful path decides."""
    steps: dict[str, Callable[[Any], Any]] = {}
    for field in fields:
        one = _fast_record_converter(list(field.fields)) if _is_record(field) else SCALAR_CONVERTERS.get(field.field_type)
        if one is not None:
            steps[field.name] = (lambda values, one=one: [one(v) for v in values]) if field.mode == "REPEATED" else one
    if not steps:
        return None
    names = frozenset(steps)

    def convert(record: dict) -> dict:
        out = record.copy()  # AttributeError for anything but a dict, as on the careful path
        for name in names.intersection(record):
            value = record[name]
            if value is not None:
                out[name] = steps[name](value)
        return out
    return convert


def varint(number: int) -> bytes:
    """A non-negative integer in protobuf's base-128 varint form."""
    out = bytearray()
    while number > 0x7F:
        out.append(number & 0x7F | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


def length_prefix(field: int, size: int) -> bytes:
    """The key and length of a length-delimited (wire type 2) field of `size` bytes."""
    return varint(field << 3 | 2) + varint(size)


def length_delimited(field: int, value: bytes) -> bytes:
    return length_prefix(field, len(value)) + value


def _as_is(record: dict) -> dict:
    return record


class ProtoRows:
    """The writer schema of one table (as BigQuery describes it) and the encoder of its rows."""

    def __init__(self, fields: list[SchemaField]) -> None:
        self.fields = list(fields)
        self.descriptor = _describe("AuditRow", self.fields)
        # ProtoSchema{proto_descriptor} as wire bytes, the writer schema of every append (storage_write.py)
        self.writer_schema = length_delimited(1, self.descriptor.SerializeToString())
        package = f"target_bigquery_audit_{uuid.uuid4().hex}"
        file = descriptor_pb2.FileDescriptorProto(name=f"{package}.proto", package=package, syntax="proto2")
        file.message_type.append(self.descriptor)
        pool = descriptor_pool.DescriptorPool()
        pool.Add(file)
        self._message = message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{package}.AuditRow"))
        self._convert = _record_converter(self.fields)
        self._convert_fast = _fast_record_converter(self.fields) or _as_is

    def encode(self, row: dict) -> bytes:
        """One row's serialized message; RowRefused (with the reason) when it cannot be encoded."""
        try:
            return self._message(**self._convert_fast(row)).SerializeToString()
        except Exception:  # noqa: BLE001 - the careful path below encodes it again, or says why it cannot
            pass
        try:
            return self._message(**self._convert(row)).SerializeToString()
        except RowRefused:
            raise
        except (TypeError, ValueError, OverflowError, AttributeError) as exc:
            raise RowRefused(f"invalid: {exc}") from None
