"""Schema evolution without data loss, decided column by column.

- A new field becomes a new NULLABLE column (new sub-fields are added to a RECORD the same way).
- A field whose type changes incompatibly keeps its old column untouched, and its values from now on
  go to a new column named `<field>__<new type>` (for example `total__string`). No row is refused
  and no value is converted; docs/target.md explains how to query both columns.
- Columns are never dropped, renamed, narrowed or retyped.
"""

from __future__ import annotations

from google.cloud.bigquery import SchemaField

CANONICAL = {"INTEGER": "INT64", "FLOAT": "FLOAT64", "BOOLEAN": "BOOL", "STRUCT": "RECORD"}


def _type(field: SchemaField) -> str:
    return CANONICAL.get(field.field_type, field.field_type)


def _mode(field: SchemaField) -> str:
    return field.mode or "NULLABLE"


def compatible(existing: SchemaField, wanted: SchemaField) -> bool:
    if _type(existing) != _type(wanted) or (_mode(existing) == "REPEATED") != (_mode(wanted) == "REPEATED"):
        return False
    if _type(existing) == "RECORD":
        subs = {f.name.lower(): f for f in existing.fields}
        return all(compatible(subs[f.name.lower()], f) for f in wanted.fields if f.name.lower() in subs)
    return True


def merge(existing: SchemaField, wanted: SchemaField) -> SchemaField:
    """The existing column widened with the wanted sub-fields it lacks (RECORD only)."""
    if _type(existing) != "RECORD":
        return existing
    wanted_subs = {f.name.lower(): f for f in wanted.fields}
    kept = [merge(f, wanted_subs[f.name.lower()]) if f.name.lower() in wanted_subs else f for f in existing.fields]
    have = {f.name.lower() for f in existing.fields}
    added = [_nullable(f) for f in wanted.fields if f.name.lower() not in have]
    return SchemaField(existing.name, existing.field_type, mode=existing.mode, fields=kept + added,
                       description=existing.description)


def _nullable(field: SchemaField) -> SchemaField:
    mode = "REPEATED" if _mode(field) == "REPEATED" else "NULLABLE"
    return SchemaField(field.name, field.field_type, mode=mode, fields=[_nullable(f) for f in field.fields],
                       description=field.description)


def evolve(existing: list[SchemaField], wanted: dict[str, SchemaField]) -> tuple[list[SchemaField], dict[str, SchemaField], list[str]]:
    """(schema to apply, property → column it is written to, notes on type changes)."""
    final = list(existing)
    index = {f.name.lower(): i for i, f in enumerate(final)}
    mapping: dict[str, SchemaField] = {}
    notes: list[str] = []
    for prop, field in wanted.items():
        name = field.name
        if name.lower() in index and not compatible(final[index[name.lower()]], field):
            old = final[index[name.lower()]]
            suffix = "json" if _type(field) == "RECORD" else _type(field).lower()
            name = f"{field.name}__{suffix}"
            notes.append(f"{prop}: type changed from {_type(old)} to {_type(field)}; "
                         f"new values go to column {name}")
            field = SchemaField(name, field.field_type, mode=field.mode, fields=field.fields,
                                description=field.description)
            if name.lower() in index and not compatible(final[index[name.lower()]], field):
                field = SchemaField(f"{field.name}_json" if not field.name.endswith("json") else field.name + "_",
                                    "JSON")
                name = field.name
        if name.lower() in index:
            merged = merge(final[index[name.lower()]], field)
            final[index[name.lower()]] = merged
            mapping[prop] = merged
        else:
            new = _nullable(field)
            index[name.lower()] = len(final)
            final.append(new)
            mapping[prop] = new
    return final, mapping, notes


def contains(applied: SchemaField, wanted: SchemaField) -> bool:
    """Whether a column as the server applied it holds every sub-field that was asked for."""
    if not compatible(applied, wanted):
        return False
    subs = {f.name.lower(): f for f in applied.fields}
    return all(f.name.lower() in subs and contains(subs[f.name.lower()], f) for f in wanted.fields)


def fall_back_to_json(applied: list[SchemaField], mapping: dict[str, SchemaField]) -> tuple[list[SchemaField], dict[str, SchemaField], list[str]]:
    """For columns a server did not widen as asked (some stores ignore new nested fields), write the
    whole value to a JSON column `<field>__json` instead of losing the new sub-fields."""
    by_name = {f.name.lower(): f for f in applied}
    final, mapping, notes = list(applied), dict(mapping), []
    for prop, field in mapping.items():
        current = by_name.get(field.name.lower())
        if current is not None and contains(current, field):
            continue
        name = f"{field.name}__json"
        notes.append(f"{prop}: the table did not take the new sub-fields; values go to JSON column {name}")
        mapping[prop] = SchemaField(name, "JSON")
        if name.lower() not in by_name:
            final.append(mapping[prop])
            by_name[name.lower()] = mapping[prop]
    return final, mapping, notes
