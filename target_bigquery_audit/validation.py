"""Record validation with fastjsonschema: the same JSON Schema checks as the SDK's default, about ten
times cheaper per record (measured: about 4 µs against 47 µs per record). Decimal values are
accepted as numbers; formats are not checked (the type conversion refuses bad dates and times)."""

from __future__ import annotations

import copy
from decimal import Decimal

import fastjsonschema
from google.cloud.bigquery import SchemaField
from singer_sdk.exceptions import InvalidRecord
from singer_sdk.sinks.core import BaseJSONSchemaValidator

from .bq_types import CANONICAL_TYPES, column_name
from .record_lines import CANONICAL_MARK, CanonicalDocument


class FastValidator(BaseJSONSchemaValidator):
    def __init__(self, schema: dict) -> None:
        super().__init__(schema)
        relaxed = copy.deepcopy(schema)
        relaxed.pop("$schema", None)
        self._validate = fastjsonschema.compile(relaxed, formats={"date-time": ".*", "date": ".*", "time": ".*"},
                                                use_formats=False)

    def validate(self, record: dict) -> None:
        try:
            self._validate(record)
        except fastjsonschema.JsonSchemaException as exc:
            raise InvalidRecord(exc.message, record) from exc


# --- records whose conversion already proves them valid ---------------------------------------------
PLAIN_KEYWORDS = {"type", "format", "description", "title", "properties", "items", "default", "examples"}
TOP_KEYWORDS = {"type", "properties", "additionalProperties", "$schema", "description", "title"}
PYTHON_TYPES = {"string": (str,), "number": (int, Decimal), "integer": (int,), "boolean": (bool,),
                "object": (dict, CanonicalDocument), "array": (list,), "null": (type(None),)}


def _types(prop: dict) -> list[str]:
    declared = prop.get("type")
    return [declared] if isinstance(declared, str) else list(declared or [])


def _plain(prop: dict, nested: bool) -> bool:
    """True when the compiled converter's shortcuts check everything JSON Schema checks for this property:
    one type (plus null), no keyword beyond type/format/properties/items, and null allowed when nested
    (the converter leaves nested nulls out unchecked)."""
    types = _types(prop)
    kinds = [t for t in types if t != "null"]
    if not set(prop) <= PLAIN_KEYWORDS or len(kinds) != 1 or (nested and "null" not in types):
        return False
    kind = kinds[0]
    if kind == "string":
        return prop.get("format") != "singer.decimal"  # a decimal string goes to a NUMERIC column
    if kind == "object":
        props = prop.get("properties") or {}
        return len({k.lower() for k in props}) == len(props) and all(
            _plain(p, True) and column_name(k) == k for k, p in props.items())
    if kind == "array":
        return isinstance(prop.get("items"), dict) and _plain(prop["items"], False)
    return kind in ("number", "integer", "boolean")


def same_shape(applied: SchemaField, wanted: SchemaField) -> bool:
    """The table's column converts values the way the stream's schema describes them (same type, mode
    and sub-fields): not a `__string` fallback column or an older, different type."""
    def kind(field: SchemaField) -> str:
        return CANONICAL_TYPES.get(field.field_type, field.field_type)
    if kind(applied) != kind(wanted) or (applied.mode == "REPEATED") != (wanted.mode == "REPEATED"):
        return False
    subs = {f.name: f for f in applied.fields}
    return all(f.name in subs and same_shape(subs[f.name], f) for f in wanted.fields)


class PlainRecords:
    """Decides when a record's schema validation can be skipped because its conversion proved it valid.

    Validation costs about a fifth of the target's CPU per record. The compiled converters
    (bq_types) take a value on a shortcut only when its Python type is the one JSON Schema asks for;
    every other value goes through `bq_types.FALLBACKS`. So a record whose conversion took no fallback,
    whose top-level keys the schema allows, whose non-null properties are not null and whose audit
    fields have their declared types is valid: the validator is run only for the others (and before
    a record goes to the dead-letter table, so the reason is the same as before)."""

    def __init__(self, schema: dict, audit_props: dict[str, dict], non_nullable: list[str],
                 allowed_keys: frozenset[str] | None) -> None:
        self.audit_types = {name: tuple(t for k in _types(p) for t in PYTHON_TYPES[k]) for name, p in audit_props.items()}
        self.audit_bool_ok = {name: "boolean" in _types(p) for name, p in audit_props.items()}
        self.non_nullable = non_nullable
        self.allowed_keys = allowed_keys

    @classmethod
    def for_schema(cls, schema: dict, audit_names: set[str], shapes_match: bool) -> PlainRecords | None:
        """None when the schema uses anything the converters do not check (then every record is validated)."""
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties", True)
        if not shapes_match or not set(schema) <= TOP_KEYWORDS or not isinstance(extra, bool):
            return None
        audit = {k: p for k, p in props.items() if k in audit_names}
        if any(not set(p) <= {"type", "format", "description", "title", CANONICAL_MARK} or not _types(p)
               or not set(_types(p)) <= set(PYTHON_TYPES) for p in audit.values()):
            return None
        data = {k: p for k, p in props.items() if k not in audit_names}
        if not all(_plain(p, False) for p in data.values()):
            return None
        non_nullable = [k for k, p in props.items() if "null" not in _types(p)]
        return cls(schema, audit, non_nullable, None if extra else frozenset(props))

    def top_level_valid(self, record: dict) -> bool:
        if self.allowed_keys is not None and not record.keys() <= self.allowed_keys:
            return False
        for name in self.non_nullable:
            if name in record and record[name] is None:
                return False
        for name, types in self.audit_types.items():
            value = record.get(name)
            if name in record and (not isinstance(value, types) or (type(value) is bool and not self.audit_bool_ok[name])):
                return False
        return True
