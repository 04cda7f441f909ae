"""What lands in BigQuery: exact values, audit columns, insertIds, views, evolution, dead letters."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from singer_sdk.exceptions import ConfigValidationError

from tests.helpers import query, run_target, target_config
from tests.target import singer
from tests.target.singer import INVOICE_SCHEMA, invoice

AUDIT = ["_source_event_id", "_arrival_ts", "_loaded_at", "_row_id", "_source", "_run_id", "_payload_sha256",
         "_operation", "_raw"]


def load(bigquery_emulator, dataset, tmp_path, lines, **overrides):
    return run_target(target_config(bigquery_emulator, dataset, tmp_path, **overrides), lines)


def test_money_is_exact_numeric(bigquery_emulator, bq, dataset, tmp_path):
    load(bigquery_emulator, dataset, tmp_path, [
        singer.schema("invoices", INVOICE_SCHEMA, ["invoice_id"]),
        singer.record("invoices", invoice("1", Decimal("0.10"))),
        singer.record("invoices", invoice("2", Decimal("0.20"))),
        singer.record("invoices", invoice("3", Decimal("12345678901234567890.123456789"))),
    ])
    assert query(bq, f"SELECT SUM(total) AS s FROM `{dataset}.invoices` WHERE invoice_id IN ('1','2')") == [
        {"s": Decimal("0.30")}]
    big = query(bq, f"SELECT total FROM `{dataset}.invoices` WHERE invoice_id = '3'")[0]["total"]
    assert big == Decimal("12345678901234567890.123456789")
    columns = {f.name: f.field_type for f in bq.get_table(f"{dataset}.invoices").schema}
    assert columns["total"] == "NUMERIC" and columns["_raw"] == "STRING"


def test_every_audit_column_is_filled(bigquery_emulator, bq, dataset, tmp_path):
    load(bigquery_emulator, dataset, tmp_path, [
        singer.schema("invoices", INVOICE_SCHEMA, ["invoice_id"]),
        singer.record("invoices", invoice("1", Decimal("5.00"))),
    ], run_id="run-42")
    row = query(bq, f"SELECT * FROM `{dataset}.invoices`")[0]
    assert all(row[c] not in (None, "") for c in AUDIT), row
    assert row["_run_id"] == "run-42" and row["_source"] == "poll" and row["_operation"] == "upsert"
    assert len(row["_payload_sha256"]) == 64 and len(row["_row_id"]) == 64
    assert json.loads(row["_raw"])["invoice_id"] == "1"


def test_offsets_are_converted_to_utc(bigquery_emulator, bq, dataset, tmp_path):
    load(bigquery_emulator, dataset, tmp_path, [
        singer.schema("invoices", INVOICE_SCHEMA, ["invoice_id"]),
        singer.record("invoices", invoice("1", 1, lmt="2013-11-18T02:17:40-0800")),
    ])
    got = query(bq, f"SELECT last_modified_time, date FROM `{dataset}.invoices`")[0]
    assert got["last_modified_time"] == dt.datetime(2013, 11, 18, 10, 17, 40, tzinfo=dt.timezone.utc)
    assert got["date"] == dt.date(2026, 1, 2)


def test_same_input_twice_gives_the_same_insert_ids_and_one_current_row(bigquery_emulator, bq, dataset, tmp_path):
    lines = [singer.schema("invoices", INVOICE_SCHEMA, ["invoice_id"]),
             singer.record("invoices", invoice("1", 10)), singer.record("invoices", invoice("2", 20))]
    load(bigquery_emulator, dataset, tmp_path, lines)
    first = {r["invoice_id"]: r["_row_id"] for r in query(bq, f"SELECT invoice_id, _row_id FROM `{dataset}.invoices`")}
    load(bigquery_emulator, dataset, tmp_path, lines)
    rows = query(bq, f"SELECT invoice_id, _row_id FROM `{dataset}.invoices`")
    assert {r["_row_id"] for r in rows} == set(first.values())
    # Even if BigQuery's best-effort dedup misses (rows inserted again under fresh insertIds)...
    again = query(bq, f"SELECT invoice_id, organization_id, CAST(total AS STRING) AS total, _row_id, _operation, "
                      f"FORMAT_TIMESTAMP('%FT%TZ', last_modified_time) AS last_modified_time FROM `{dataset}.invoices`")
    assert bq.insert_rows_json(f"{bq.project}.{dataset}.invoices", again, row_ids=["dup-a", "dup-b"]) == []
    assert len(query(bq, f"SELECT * FROM `{dataset}.invoices`")) == 4
    current = query(bq, f"SELECT invoice_id, _row_id FROM `{dataset}.invoices_current` ORDER BY invoice_id")
    assert [(r["invoice_id"], r["_row_id"]) for r in current] == sorted(first.items())


def test_a_new_version_is_a_new_row_and_becomes_current(bigquery_emulator, bq, dataset, tmp_path):
    load(bigquery_emulator, dataset, tmp_path, [
        singer.schema("invoices", INVOICE_SCHEMA, ["invoice_id"]),
        singer.record("invoices", invoice("1", 10, lmt="2026-01-01T00:00:00+0000")),
        singer.record("invoices", invoice("1", 7, lmt="2026-01-03T00:00:00+0000", status="partially_paid")),
        singer.record("invoices", invoice("1", 9, lmt="2026-01-02T00:00:00+0000")),  # late arrival of an older one
    ])
    assert len(query(bq, f"SELECT _row_id FROM `{dataset}.invoices`")) == 3
    current = query(bq, f"SELECT total, status FROM `{dataset}.invoices_current`")
    assert current == [{"total": Decimal("7"), "status": "partially_paid"}]


def test_a_tombstone_leaves_the_current_view(bigquery_emulator, bq, dataset, tmp_path):
    schema = {**INVOICE_SCHEMA, "properties": {**INVOICE_SCHEMA["properties"], "_operation": {"type": ["string", "null"]}}}
    load(bigquery_emulator, dataset, tmp_path, [
        singer.schema("invoices", schema, ["invoice_id"]),
        singer.record("invoices", invoice("1", 10)), singer.record("invoices", invoice("2", 20)),
        singer.record("invoices", {**invoice("2", 20), "_operation": "delete"}),
    ])
    assert [r["invoice_id"] for r in query(bq, f"SELECT invoice_id FROM `{dataset}.invoices_current`")] == ["1"]
    assert len(query(bq, f"SELECT * FROM `{dataset}.invoices` WHERE invoice_id = '2'")) == 2


def test_new_fields_add_nullable_columns(bigquery_emulator, bq, dataset, tmp_path):
    load(bigquery_emulator, dataset, tmp_path, [singer.schema("invoices", INVOICE_SCHEMA, ["invoice_id"]),
                                                singer.record("invoices", invoice("1", 1))])
    wider = {**INVOICE_SCHEMA, "properties": {**INVOICE_SCHEMA["properties"], "po_number": {"type": ["string", "null"]},
             "line_items": {"type": ["array", "null"], "items": {"type": "object", "properties": {
                 **INVOICE_SCHEMA["properties"]["line_items"]["items"]["properties"],
                 "sku": {"type": ["string", "null"]}}}}}}
    load(bigquery_emulator, dataset, tmp_path, [
        singer.schema("invoices", wider, ["invoice_id"]),
        singer.record("invoices", invoice("2", 2, po_number="PO-9", line_items=[{"name": "a", "rate": 1, "quantity": 1,
                                                                                  "sku": "S1"}]))])
    fields = {f.name: f for f in bq.get_table(f"{dataset}.invoices").schema}
    assert fields["po_number"].mode == "NULLABLE"
    rows = query(bq, f"SELECT invoice_id, po_number FROM `{dataset}.invoices` ORDER BY invoice_id")
    assert rows == [{"invoice_id": "1", "po_number": None}, {"invoice_id": "2", "po_number": "PO-9"}]
    # BigQuery adds the nested column; the emulator ignores nested additions, so the target writes the
    # whole array to line_items__json rather than lose the new sub-field. Either way "S1" is kept.
    if "sku" in {f.name for f in fields["line_items"].fields}:
        sku = query(bq, f"SELECT li.sku FROM `{dataset}.invoices`, UNNEST(line_items) AS li WHERE invoice_id = '2'")
    else:
        sku = query(bq, f"SELECT JSON_VALUE(line_items__json, '$[0].sku') AS sku FROM `{dataset}.invoices` "
                        "WHERE invoice_id = '2'")
    assert sku == [{"sku": "S1"}]


def test_an_incompatible_type_change_goes_to_a_new_column(bigquery_emulator, bq, dataset, tmp_path):
    load(bigquery_emulator, dataset, tmp_path, [singer.schema("invoices", INVOICE_SCHEMA, ["invoice_id"]),
                                                singer.record("invoices", invoice("1", Decimal("1.50")))])
    changed = {**INVOICE_SCHEMA, "properties": {**INVOICE_SCHEMA["properties"], "total": {"type": ["string", "null"]}}}
    load(bigquery_emulator, dataset, tmp_path, [singer.schema("invoices", changed, ["invoice_id"]),
                                                singer.record("invoices", invoice("2", "1,50 EUR"))])
    rows = query(bq, f"SELECT invoice_id, total, total__string FROM `{dataset}.invoices` ORDER BY invoice_id")
    assert rows == [{"invoice_id": "1", "total": Decimal("1.5"), "total__string": None},
                    {"invoice_id": "2", "total": None, "total__string": "1,50 EUR"}]
    assert query(bq, f"SELECT COUNT(*) AS n FROM `{dataset}._dead_letter`") == [{"n": 0}]


def test_rows_that_cannot_be_written_exactly_go_to_the_dead_letter_table(bigquery_emulator, bq, dataset, tmp_path):
    load(bigquery_emulator, dataset, tmp_path, [
        singer.schema("invoices", INVOICE_SCHEMA, ["invoice_id"]),
        singer.record("invoices", invoice("ok", Decimal("1.00"))),
        singer.record("invoices", invoice("too-precise", Decimal("0.0000000001"))),
        singer.record("invoices", invoice("too-big", Decimal("1" + "0" * 30))),
        singer.record("invoices", invoice("not-a-number", "abc")),
    ])
    assert [r["invoice_id"] for r in query(bq, f"SELECT invoice_id FROM `{dataset}.invoices`")] == ["ok"]
    dead = {r["id"]: r for r in query(
        bq, f"SELECT reason, stream, source_event_id, JSON_VALUE(record, '$.invoice_id') AS id FROM `{dataset}._dead_letter`")}
    assert set(dead) == {"too-precise", "too-big", "not-a-number"}
    assert "1E-10 does not fit NUMERIC" in dead["too-precise"]["reason"] and "without rounding" in dead["too-precise"]["reason"]
    assert "does not fit NUMERIC" in dead["too-big"]["reason"]
    assert "does not match the stream schema" in dead["not-a-number"]["reason"]
    assert all(r["stream"] == "invoices" and r["source_event_id"] for r in dead.values())


def test_rows_bigquery_refuses_go_to_the_dead_letter_table_and_the_rest_land(bigquery_emulator, bq, dataset, tmp_path):
    # The emulator keeps BIGNUMERIC as DECIMAL(38,18): it refuses 25 integer digits that BigQuery would take.
    # That is a per-row refusal from the server, which is what this test needs.
    load(bigquery_emulator, dataset, tmp_path, [
        singer.schema("invoices", INVOICE_SCHEMA, ["invoice_id"]),
        singer.record("invoices", invoice("a", Decimal("1.5"))),
        singer.record("invoices", invoice("refused", Decimal("1" * 25))),
        singer.record("invoices", invoice("b", Decimal("2.5"))),
    ], numeric_type="BIGNUMERIC")
    assert sorted(r["invoice_id"] for r in query(bq, f"SELECT invoice_id FROM `{dataset}.invoices`")) == ["a", "b"]
    dead = query(bq, f"SELECT reason, JSON_VALUE(record, '$.invoice_id') AS id FROM `{dataset}._dead_letter`")
    assert [d["id"] for d in dead] == ["refused"] and "invalid" in dead[0]["reason"]


def test_records_of_any_tap_get_a_derived_event_id(bigquery_emulator, bq, dataset, tmp_path):
    countries = {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}}}
    lines = [singer.schema("countries", countries, ["code"], bookmark=None),
             singer.record("countries", {"code": "DE", "name": "Germany"}),
             singer.record("countries", {"code": "DE", "name": "Deutschland"})]
    load(bigquery_emulator, dataset, tmp_path, lines)
    load(bigquery_emulator, dataset, tmp_path, lines)
    rows = query(bq, f"SELECT name, _row_id, _source_event_id FROM `{dataset}.countries`")
    assert len({r["_row_id"] for r in rows}) == 2  # two versions, each written once
    assert len(query(bq, f"SELECT * FROM `{dataset}.countries_current`")) == 1


def test_state_is_passed_on_after_the_rows_are_written(bigquery_emulator, bq, dataset, tmp_path):
    states = load(bigquery_emulator, dataset, tmp_path, [
        singer.schema("invoices", INVOICE_SCHEMA, ["invoice_id"]),
        singer.record("invoices", invoice("1", 1)), singer.state({"bookmarks": {"invoices": {"v": 1}}}),
        singer.record("invoices", invoice("2", 2)), singer.state({"bookmarks": {"invoices": {"v": 2}}}),
    ])
    assert states[-1] == {"bookmarks": {"invoices": {"v": 2}}}
    assert len(query(bq, f"SELECT * FROM `{dataset}.invoices`")) == 2


def test_only_appending_is_offered(bigquery_emulator, dataset, tmp_path):
    with pytest.raises(ConfigValidationError, match="load_method 'upsert' is not supported; use one of"):
        load(bigquery_emulator, dataset, tmp_path, [], load_method="upsert")
