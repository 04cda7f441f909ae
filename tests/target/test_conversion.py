"""The compiled per-column converters give the same values and the same refusal reasons as the
generic walk: exact decimal text, nested line items, and a dead-letter reason that names the place.
The compiled ones leave null and absent fields out of a row (BigQuery reads them as NULL, or an empty
array); the generic walk writes them out, so the two are compared with those left out."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest

from target_bigquery_audit.bq_types import ValueRejected, _convert, compile_column, schema_fields, to_bigquery

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.invoice_feed import invoices  # noqa: E402
from tap_zohobooks.client import load_schema  # noqa: E402


def plan(numeric: str = "NUMERIC"):
    props = load_schema("invoices")["properties"]
    return dict(zip(props, (compile_column(f) for f in schema_fields(props, numeric))))


def without_nulls(value):
    """The row as BigQuery reads it: a null field and an absent one are the same, so is an empty array."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None and v != []}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def test_compiled_converter_matches_the_generic_walk_on_invoices():
    columns = plan()
    for record in invoices(300, seed=7):
        for prop, column in columns.items():
            value = record.get(prop)
            if value is not None:
                assert without_nulls(to_bigquery(value, column, prop)) == without_nulls(_convert(value, column, prop)), prop


def test_money_keeps_its_exact_text_in_nested_line_items():
    column = plan()["line_items"]
    row = to_bigquery([{"rate": Decimal("150.0000"), "quantity": Decimal("2.25"),
                        "item_total": Decimal("337.50"), "tags": []}], column, "invoices.line_items")
    assert (row[0]["rate"], row[0]["quantity"], row[0]["item_total"]) == ("150.0000", "2.25", "337.50")
    assert row[0]["tags"] == [] and "name" not in row[0]  # absent: NULL in BigQuery


@pytest.mark.parametrize("value, reason", [
    (Decimal("0.0000000001"), "invoices.line_items[1].rate: 1E-10 does not fit NUMERIC"),
    (1.5, "invoices.line_items[1].rate: 1.5 is a float; exact decimals only"),
    (Decimal("NaN"), "invoices.line_items[1].rate: NaN is not a finite number"),
    (Decimal("123456789012345678901234567890"), "does not fit NUMERIC (29 integer digits"),
])
def test_refused_values_keep_their_reason_and_path(value, reason):
    column = plan()["line_items"]
    items = [{"rate": Decimal("1")}, {"rate": value}]
    with pytest.raises(ValueRejected) as exc:
        to_bigquery(items, column, "invoices.line_items")
    assert reason in str(exc.value)


def test_trailing_zeros_beyond_the_scale_are_exact_not_refused():
    column = plan()["total"]
    assert to_bigquery(Decimal("1.50000000000"), column, "invoices.total") == "1.50000000000"


def test_wrong_shapes_are_refused_with_the_generic_reason():
    columns = plan()
    with pytest.raises(ValueRejected, match=r"invoices.line_items: expected a list, got dict"):
        to_bigquery({"rate": 1}, columns["line_items"], "invoices.line_items")
    with pytest.raises(ValueRejected, match=r"invoices.line_items: BigQuery arrays cannot hold null elements"):
        to_bigquery([None], columns["line_items"], "invoices.line_items")
    with pytest.raises(ValueRejected, match=r"invoices.line_items\[0\].item_order: '3' is not a 64-bit integer"):
        to_bigquery([{"item_order": "3"}], columns["line_items"], "invoices.line_items")
