"""The fast row path changes nothing a user sees: `_raw` keeps the exact canonical text it always had,
and records the converter does not prove valid are still checked against the stream schema."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import simplejson

from target_bigquery_audit.json_codec import SingerBytesReader, canonical_json
from tests.helpers import query, run_target, target_config
from tests.target import singer
from tests.target.singer import INVOICE_SCHEMA

TRICKY = [
    {"b": 1, "a": [1, 2, {"z": None, "y": True}], "": 0},
    "\x00\x01\x1f\x7f\"\\/\n\r\t\b\f \u2028\u2029 é漢字😀 </script>",
    {"é": 1, "e": 2, "😀": 3, "\uffff": 4, "Z": 5},
    [Decimal("1E+2"), Decimal("0.0000001"), Decimal("-0"), Decimal("0E-7"), Decimal("123.4500"), Decimal("1e-100")],
    [2**63, 2**64 + 5, -2**70, 0, -1],
    {"when": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc), "day": dt.date(2026, 1, 2)},
]


@pytest.mark.parametrize("value", TRICKY)
def test_canonical_json_is_the_text_simplejson_gave(value):
    expected = simplejson.dumps(value, use_decimal=True, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                                default=lambda v: v.isoformat())
    assert canonical_json(value) == expected


def test_the_reader_keeps_every_number_exact():
    message = SingerBytesReader().deserialize_json(b'{"a": 0.10, "b": 1.0e5, "c": 123456789012345678901234567890, '
                                                   b'"d": 0.0000001, "e": 12}')
    assert message == {"a": Decimal("0.10"), "b": Decimal("1.0E+5"), "c": 123456789012345678901234567890,
                       "d": Decimal("1E-7"), "e": 12}
    assert str(message["a"]) == "0.10" and type(message["e"]) is int


AUDITED_SCHEMA = {**INVOICE_SCHEMA, "additionalProperties": False, "properties": {
    **INVOICE_SCHEMA["properties"], "_source_event_id": {"type": ["string", "null"]},
    "_source": {"type": ["string", "null"]}, "_operation": {"type": ["string", "null"]},
    "_arrival_ts": {"type": ["string", "null"], "format": "date-time"}, "_raw": {"type": ["object", "null"]}}}


def tap_record(invoice_id: str, **changes) -> dict:
    doc = {"invoice_id": invoice_id, "organization_id": "org1", "total": Decimal("10.10"), "status": "sent",
           "date": "2026-01-02", "last_modified_time": "2026-01-02T03:04:05Z",
           "line_items": [{"name": "Consulting", "rate": Decimal("150.0000"), "quantity": Decimal("0.25")}]}
    doc.update(changes)
    return {**doc, "_source_event_id": f"e-{invoice_id}", "_source": "poll", "_operation": "upsert",
            "_arrival_ts": "2026-01-02T03:04:06Z", "_raw": doc}


def test_tap_records_skip_validation_only_when_their_conversion_proves_them_valid(bigquery_emulator, bq, dataset,
                                                                                   tmp_path):
    bad_line = [{"name": "Consulting", "rate": "a lot", "quantity": Decimal("1")}]
    run_target(target_config(bigquery_emulator, dataset, tmp_path), [
        singer.schema("invoices", AUDITED_SCHEMA, ["invoice_id"]),
        singer.record("invoices", tap_record("ok")),
        singer.record("invoices", tap_record("status-is-a-number", status=Decimal("7"))),
        singer.record("invoices", tap_record("total-is-text", total="12.50")),
        singer.record("invoices", tap_record("rate-is-text", line_items=bad_line)),
        singer.record("invoices", {**tap_record("unknown-field"), "surprise": 1}),
        singer.record("invoices", {**tap_record("raw-is-text"), "_raw": "not an object"}),
        singer.record("invoices", tap_record("ok-too", status=None, line_items=None)),
    ])
    rows = query(bq, f"SELECT invoice_id, total, line_items, TO_HEX(SHA256(_raw)) = _payload_sha256 AS verified "
                     f"FROM `{dataset}.invoices` ORDER BY invoice_id")
    assert [(r["invoice_id"], r["total"], r["verified"]) for r in rows] == [
        ("ok", Decimal("10.10"), True), ("ok-too", Decimal("10.10"), True)]
    assert rows[0]["line_items"] == [{"name": "Consulting", "rate": Decimal("150"), "quantity": Decimal("0.25")}]
    raw = query(bq, f"SELECT _raw FROM `{dataset}.invoices` WHERE invoice_id = 'ok'")[0]["_raw"]
    assert raw == canonical_json(tap_record("ok")["_raw"]) and '"rate":150.0000' in raw
    dead = {r["id"]: r["reason"] for r in query(
        bq, f"SELECT reason, JSON_VALUE(record, '$.invoice_id') AS id FROM `{dataset}._dead_letter`")}
    assert set(dead) == {"status-is-a-number", "total-is-text", "rate-is-text", "unknown-field", "raw-is-text"}
    assert all("does not match the stream schema" in reason for reason in dead.values()), dead
