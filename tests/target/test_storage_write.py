"""storage_write: every value round-trips exactly through protobuf rows, and a kill at the two delicate
moments of an append (acknowledged but not journaled; journaled but not sent) neither loses nor
doubles a row. (Random SIGKILLs of the whole target: test_kill_and_rerun.py.)"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from google.cloud.bigquery import SchemaField

from target_bigquery_audit.proto_rows import ProtoRows
from target_bigquery_audit.storage_write import OpenStream, StorageWriteLoader, append_request, write_client
from target_bigquery_audit.target import TargetBigQueryAudit
from tests.helpers import query, run_target, target_config
from tests.target import singer

SCHEMA = {"type": "object", "properties": {
    "invoice_id": {"type": "string"},
    "total": {"type": ["number", "null"]},
    "quantity": {"type": ["integer", "null"]},
    "paid": {"type": ["boolean", "null"]},
    "date": {"type": ["string", "null"], "format": "date"},
    "last_modified_time": {"type": ["string", "null"], "format": "date-time"},
    "tags": {"type": ["array", "null"], "items": {"type": "string"}},
    "custom": {"type": ["object", "null"]},
    "line_items": {"type": ["array", "null"], "items": {"type": "object", "properties": {
        "name": {"type": ["string", "null"]}, "rate": {"type": ["number", "null"]},
        "discount": {"type": ["object", "null"], "properties": {"percent": {"type": ["number", "null"]}}}}}},
}}
RECORDS = [
    {"invoice_id": "A", "total": Decimal("99999999999999999999999999999.999999999"), "quantity": 9007199254740993,
     "paid": True, "date": "1969-12-31", "last_modified_time": "2026-01-02T03:04:05.123456Z", "tags": ["x", "y"],
     "custom": {"note": "déjà", "n": 3},
     "line_items": [{"name": "a", "rate": Decimal("0.000000001"), "discount": {"percent": Decimal("12.5")}},
                    {"name": "b", "rate": Decimal("-1234567.10"), "discount": None}]},
    {"invoice_id": "B", "total": Decimal("0.10"), "quantity": None, "paid": False, "date": "2026-02-28",
     "last_modified_time": "1999-12-31T23:59:59.999999+05:30", "tags": [], "custom": None, "line_items": []},
    {"invoice_id": "C", "total": None},
]


def test_storage_write_round_trips_every_value_exactly(bigquery_emulator, bq, dataset, tmp_path):
    config = target_config(bigquery_emulator, dataset, tmp_path, load_method="storage_write", batch_size_rows=2)
    lines = [singer.schema("invoices", SCHEMA, ["invoice_id"]), *(singer.record("invoices", r) for r in RECORDS),
             singer.state({"done": 3})]
    assert run_target(config, lines) == [{"done": 3}]
    rows = {r["invoice_id"]: r for r in query(bq, f"SELECT * FROM `{dataset}.invoices`")}
    assert sorted(rows) == ["A", "B", "C"]
    a, b, c = rows["A"], rows["B"], rows["C"]
    assert (a["total"], a["quantity"], a["paid"], a["date"], a["tags"]) == (
        Decimal("99999999999999999999999999999.999999999"), 9007199254740993, True, dt.date(1969, 12, 31), ["x", "y"])
    assert a["last_modified_time"] == dt.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=dt.timezone.utc)
    assert a["custom"] == {"note": "déjà", "n": 3}
    assert [(li["name"], li["rate"], li["discount"]) for li in a["line_items"]] == [
        ("a", Decimal("0.000000001"), {"percent": Decimal("12.5")}),
        ("b", Decimal("-1234567.10"), None)]
    assert (b["total"], b["quantity"], b["paid"], b["date"], b["tags"], b["custom"], b["line_items"]) == (
        Decimal("0.10"), None, False, dt.date(2026, 2, 28), [], None, [])
    assert b["last_modified_time"] == dt.datetime(1999, 12, 31, 18, 29, 59, 999999, tzinfo=dt.timezone.utc)
    assert (c["total"], c["date"], c["line_items"]) == (None, None, [])
    assert all(r["_raw"] and r["_row_id"] and r["_arrival_ts"] for r in rows.values())  # audit columns too


class Killed(BaseException):
    """The process dies here (nothing catches it, as nothing survives a SIGKILL)."""


def die(*_args, **_kwargs):
    raise Killed


def rows(*numbers: int) -> list[dict]:
    return [{"insertId": f"r{i}", "json": {"invoice_id": f"{i:03d}", "organization_id": "org1", "_row_id": f"r{i}"}}
            for i in numbers]


@pytest.fixture
def loaders(bigquery_emulator, dataset, tmp_path):
    """A function giving a fresh loader (a new process) over the same journal, the table made."""
    config = target_config(bigquery_emulator, dataset, tmp_path, load_method="storage_write")
    run_target(config, [singer.schema("invoices", singer.INVOICE_SCHEMA, ["invoice_id"])])
    target = TargetBigQueryAudit(config=config, parse_env_config=False)
    return lambda: StorageWriteLoader(target.writer, lambda: write_client(config, None), tmp_path / "journal.jsonl",
                                      "_dead_letter")


def counts(bq, dataset) -> dict[str, int]:
    return {r["_row_id"]: r["n"] for r in query(bq, f"SELECT _row_id, COUNT(*) AS n FROM `{dataset}.invoices` "
                                                    "GROUP BY _row_id")}


def test_killed_after_the_append_was_acknowledged_but_before_it_was_journaled(loaders, bq, dataset, monkeypatch):
    first = loaders()
    monkeypatch.setattr(first.journal, "finished", die)
    with pytest.raises(Killed):
        first.insert("invoices", rows(0, 1, 2, 3))
    assert counts(bq, dataset) == {f"r{i}": 1 for i in range(4)}  # BigQuery has them; the journal only intends
    rerun = loaders()  # the tap re-sends everything since its last STATE, batched differently
    assert rerun.insert("invoices", rows(2, 3, 4, 5)) == [] and rerun.insert("invoices", rows(0, 1)) == []
    assert counts(bq, dataset) == {f"r{i}": 1 for i in range(6)}


def test_killed_after_journaling_an_append_that_was_never_sent(loaders, bq, dataset, monkeypatch):
    first = loaders()
    assert first.insert("invoices", rows(0, 1)) == []
    monkeypatch.setattr(first, "_send", die)
    with pytest.raises(Killed):
        first.insert("invoices", rows(2, 3))
    rerun = loaders()
    assert rerun.insert("invoices", rows(3, 2, 1, 0, 4)) == []
    assert counts(bq, dataset) == {f"r{i}": 1 for i in range(5)}


def test_the_same_rows_to_the_same_stream_at_the_same_offset_land_once(loaders, bq, dataset):
    loader = loaders()
    assert loader.insert("invoices", rows(0, 1, 2)) == []
    stream = loader._streams["invoices"]
    encoded = [stream.proto.encode(r["json"]) for r in rows(0, 1, 2)]
    # A retry whose first try landed but whose answer was lost: ALREADY_EXISTS, taken as success.
    assert loader._send(OpenStream(stream.name, stream.proto, offset=0), encoded) == {}
    assert counts(bq, dataset) == {"r0": 1, "r1": 1, "r2": 1}


def test_a_row_bigquery_refuses_is_returned_with_its_reason_and_the_others_land(loaders, bq, dataset):
    bad = {"insertId": "bad", "json": {"invoice_id": "901", "total": "not money", "_row_id": "bad"}}
    unknown = {"insertId": "odd", "json": {"invoice_id": "902", "no_such_column": "x", "_row_id": "odd"}}
    refused = loaders().insert("invoices", [*rows(0), bad, unknown, *rows(1)])
    assert sorted((row["insertId"], reason.split(":")[0]) for row, reason in refused) == [
        ("bad", "invalid"), ("odd", "no such field")]
    assert counts(bq, dataset) == {"r0": 1, "r1": 1}


@pytest.mark.parametrize("offset", [0, 1, 300, 2**40])
def test_an_append_request_is_the_message_the_storage_api_defines(offset):
    """The request built as wire bytes is, byte for byte, the AppendRowsRequest protobuf would write."""
    from google.cloud.bigquery_storage_v1 import types

    proto = ProtoRows([SchemaField("invoice_id", "STRING"), SchemaField("note", "STRING")])
    rows = [proto.encode({"invoice_id": "1", "note": "déjà"}), proto.encode({"invoice_id": "2" * 300}), b""]
    name = "projects/p/datasets/d/tables/invoices/streams/s1"
    expected = types.AppendRowsRequest.pb()(
        write_stream=name, offset={"value": offset},
        proto_rows={"writer_schema": {"proto_descriptor": proto.descriptor}, "rows": {"serialized_rows": rows}})
    built = append_request(name, offset, proto.writer_schema, rows)
    assert built == expected.SerializeToString()
    assert types.AppendRowsRequest.pb().FromString(built) == expected
