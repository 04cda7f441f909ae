"""JSON Schema → BigQuery columns, and Singer values → exact insertAll JSON values.

Mapping (README, "Types"): number → NUMERIC (BIGNUMERIC selectable), integer → INT64, boolean → BOOL,
string with format date-time / date / time → TIMESTAMP / DATE / TIME, other strings → STRING,
objects with properties → RECORD, arrays of objects → REPEATED RECORD, arrays of scalars → REPEATED,
objects without properties, unions of several types and untyped values → JSON.

Values are never rounded and never pass through float: a number is sent as its exact decimal text,
and one that does not fit the column is refused with a reason (the row goes to the dead-letter table).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any, Callable

from google.cloud.bigquery import SchemaField

from .converters import INT64_MAX, INT64_MIN, Runtime, compile_converters
from .json_codec import to_json_text

NUMERIC_LIMITS = {
    # type: (max integer digits, max decimal places)
    "NUMERIC": (29, 9),
    "BIGNUMERIC": (38, 38),
}


class ValueRejected(ValueError):
    """A value that cannot be stored exactly in its column; the message is the reason."""


def column_name(name: str) -> str:
    """A valid BigQuery column name: letters, digits and underscores, not starting with a digit."""
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", name) or "_"
    if cleaned[0].isdigit():
        cleaned = "_" + cleaned
    return cleaned[:300]


def _alternatives(prop: dict) -> list[dict]:
    """The non-null shapes a property may take (type lists and anyOf/oneOf flattened)."""
    for key in ("anyOf", "oneOf"):
        if key in prop:
            out: list[dict] = []
            for sub in prop[key]:
                out.extend(_alternatives(sub))
            return out
    declared = prop.get("type")
    if declared is None:
        return [{}]
    types = [declared] if isinstance(declared, str) else list(declared)
    return [{**prop, "type": t} for t in types if t != "null"]


def field_type(prop: dict, numeric_type: str) -> tuple[str, str, list[SchemaField]]:
    """(BigQuery type, mode, sub-fields) for one JSON Schema property."""
    alts = _alternatives(prop)
    if len(alts) != 1 or "type" not in alts[0]:
        return "JSON", "NULLABLE", []
    alt = alts[0]
    kind = alt["type"]
    if kind == "string":
        fmt = alt.get("format")
        if fmt == "singer.decimal":
            return numeric_type, "NULLABLE", []
        return {"date-time": "TIMESTAMP", "date": "DATE", "time": "TIME"}.get(fmt, "STRING"), "NULLABLE", []
    if kind == "number":
        return numeric_type, "NULLABLE", []
    if kind == "integer":
        return "INT64", "NULLABLE", []
    if kind == "boolean":
        return "BOOL", "NULLABLE", []
    if kind == "object":
        if alt.get("properties"):
            return "RECORD", "NULLABLE", schema_fields(alt["properties"], numeric_type)
        return "JSON", "NULLABLE", []
    if kind == "array":
        item_type, item_mode, subs = field_type(alt.get("items") or {}, numeric_type)
        if item_mode == "REPEATED" or item_type == "JSON":
            return "JSON", "NULLABLE", []
        return item_type, "REPEATED", subs
    return "JSON", "NULLABLE", []


def schema_fields(properties: dict, numeric_type: str = "NUMERIC") -> list[SchemaField]:
    fields, seen = [], set()
    for name, prop in properties.items():
        col = column_name(name)
        while col.lower() in seen:  # BigQuery names are case-insensitive
            col += "_"
        seen.add(col.lower())
        bq_type, mode, subs = field_type(prop, numeric_type)
        fields.append(SchemaField(col, bq_type, mode=mode, fields=subs, description=prop.get("description")))
    return fields


def _exact_decimal(value: Decimal, bq_type: str, where: str) -> str:
    if not value.is_finite():
        raise ValueRejected(f"{where}: {value} is not a finite number")
    int_digits, scale = NUMERIC_LIMITS[bq_type]
    sign, digits, exponent = value.normalize().as_tuple() if value else (0, (0,), 0)
    decimals = max(0, -exponent)
    integer_digits = max(0, len(digits) + exponent)
    if decimals > scale or integer_digits > int_digits:
        hint = "; set numeric_type: BIGNUMERIC" if bq_type == "NUMERIC" else ""
        raise ValueRejected(f"{where}: {value} does not fit {bq_type} ({int_digits} integer digits, "
                            f"{scale} decimals) without rounding{hint}")
    return format(value, "f")


def _timestamp(value: Any, where: str) -> str:
    if isinstance(value, dt.datetime):
        instant = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    elif isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            instant = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueRejected(f"{where}: {value!r} is not a timestamp") from None
        instant = instant if instant.tzinfo else instant.replace(tzinfo=dt.timezone.utc)
    else:
        raise ValueRejected(f"{where}: {value!r} is not a timestamp")
    return instant.astimezone(dt.timezone.utc).isoformat()


@dataclass(frozen=True)
class Column:
    """A column compiled once per table, so converting a row does no schema lookups."""

    name: str
    type: str  # canonical: NUMERIC, INT64, BOOL, RECORD, ...
    repeated: bool
    children: tuple[Column, ...] = ()
    convert: Callable[[Any], Any] = field(init=False, repr=False, compare=False)
    convert_one: Callable[[Any], Any] = field(init=False, repr=False, compare=False)  # one element of it

    def __post_init__(self) -> None:
        """Generated once per table (converters.py): the type dispatch, the children and the decimal
        limits are settled here, not once per value. The shortcuts take only values that clearly fit
        (the right Python type, within the limits); anything else goes to `_fallback`, so they refuse
        exactly what `_convert` refuses; their messages carry no path. Null and absent fields of an
        object are left out of the row (BigQuery reads a missing field as NULL, or an empty array)."""
        compiled = compile_converters(self, RUNTIME)
        object.__setattr__(self, "convert", compiled.convert)
        object.__setattr__(self, "convert_one", compiled.convert_one)


CANONICAL_TYPES = {"INTEGER": "INT64", "FLOAT": "FLOAT64", "BOOLEAN": "BOOL", "STRUCT": "RECORD"}


def compile_column(field: SchemaField) -> Column:
    return Column(field.name, CANONICAL_TYPES.get(field.field_type, field.field_type), field.mode == "REPEATED",
                  tuple(compile_column(f) for f in field.fields))


FALLBACKS = [0]  # values the shortcuts left to the generic path (validation.PlainRecords reads it)


def _fallback(value: Any, column: Column) -> Any:
    FALLBACKS[0] += 1
    return _scalar(value, column, "?")


@lru_cache(maxsize=8192)
def _timestamp_text(value: str) -> str:
    """A timestamp text as UTC ISO text (cached: feeds repeat the same instants; ValueRejected is not cached)."""
    return _timestamp(value, "?")


@lru_cache(maxsize=8192)
def _date_text(value: str) -> str:
    try:
        return dt.date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        raise ValueRejected(f"{value!r} is not a date") from None


@lru_cache(maxsize=4096)
def _column_key(key: str) -> str:
    return column_name(key)


RUNTIME = Runtime(fallback=_fallback, rejected=ValueRejected, timestamp_text=_timestamp_text, date_text=_date_text,
                  column_key=_column_key, numeric_limits=NUMERIC_LIMITS)


@lru_cache(maxsize=4096)
def _is_column_name(key: str) -> bool:
    return column_name(key) == key


def _by_column(value: dict) -> dict:
    """The object keyed by column names (keys like 'first-name' become first_name)."""
    if all(_is_column_name(k) for k in value):
        return value
    return {column_name(k): v for k, v in value.items()}


def to_bigquery(value: Any, column: Column, where: str) -> Any:
    """One value for an insertAll row; raises ValueRejected rather than change it.

    Runs the column's compiled converter; only when that refuses the value is the generic walk below
    repeated with paths, so the reason names the exact place (`invoices.line_items[3].rate`)."""
    try:
        return column.convert(value)
    except ValueRejected:
        return _convert(value, column, where)


def _convert(value: Any, column: Column, where: str) -> Any:
    if value is None:
        return [] if column.repeated else None
    if column.repeated:
        if not isinstance(value, list):
            raise ValueRejected(f"{where}: expected a list, got {type(value).__name__}")
        out = [_scalar(item, column, f"{where}[{i}]") for i, item in enumerate(value)]
        if any(item is None for item in out):
            raise ValueRejected(f"{where}: BigQuery arrays cannot hold null elements")
        return out
    return _scalar(value, column, where)


def _scalar(value: Any, column: Column, where: str) -> Any:
    kind = column.type
    if value is None:
        return None
    if kind == "RECORD":
        if not isinstance(value, dict):
            raise ValueRejected(f"{where}: expected an object, got {type(value).__name__}")
        named = _by_column(value)
        return {c.name: _convert(named.get(c.name), c, f"{where}.{c.name}") for c in column.children}
    if kind == "JSON":
        return to_json_text(value)
    if kind in ("NUMERIC", "BIGNUMERIC"):
        if isinstance(value, (bool, float)):
            raise ValueRejected(f"{where}: {value!r} is a float; exact decimals only")
        try:
            number = value if isinstance(value, Decimal) else Decimal(str(value))
        except ArithmeticError:
            raise ValueRejected(f"{where}: {value!r} is not a number") from None
        return _exact_decimal(number, kind, where)
    if kind == "INT64":
        if isinstance(value, bool) or not isinstance(value, int) or not INT64_MIN <= value <= INT64_MAX:
            raise ValueRejected(f"{where}: {value!r} is not a 64-bit integer")
        return value
    if kind == "BOOL":
        if not isinstance(value, bool):
            raise ValueRejected(f"{where}: {value!r} is not a boolean")
        return value
    if kind == "TIMESTAMP":
        return _timestamp(value, where)
    if kind == "DATE":
        if isinstance(value, dt.datetime):
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        try:
            return dt.date.fromisoformat(str(value)[:10]).isoformat()
        except ValueError:
            raise ValueRejected(f"{where}: {value!r} is not a date") from None
    if kind == "TIME":
        return value.isoformat() if isinstance(value, dt.time) else str(value)
    if kind == "STRING" and not isinstance(value, str):
        return to_json_text(value)
    return value
