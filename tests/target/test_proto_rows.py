"""The Storage Write encoder: what a row's protobuf bytes decode to (exact money text, TIMESTAMP micros,
DATE days, nested line items, nulls left unset), and which rows it refuses with what reason. Its fast
path (upb takes the dicts as they are) and its careful path (every key walked) must agree byte for
byte, since either may encode a given row."""

from __future__ import annotations

import base64

import pytest
from google.cloud.bigquery import SchemaField as F
from google.protobuf.json_format import MessageToDict

from target_bigquery_audit.proto_rows import ProtoRows, RowRefused, UnknownColumn

FIELDS = [
    F("invoice_id", "STRING"), F("total", "NUMERIC"), F("big", "BIGNUMERIC"), F("quantity", "INTEGER"),
    F("paid", "BOOLEAN"), F("ratio", "FLOAT"), F("date", "DATE"), F("last_modified_time", "TIMESTAMP"),
    F("blob", "BYTES"), F("custom", "JSON"), F("tags", "STRING", mode="REPEATED"),
    F("days", "DATE", mode="REPEATED"),
    F("line_items", "RECORD", mode="REPEATED", fields=[
        F("name", "STRING"), F("rate", "NUMERIC"), F("shipped", "TIMESTAMP"),
        F("discount", "RECORD", fields=[F("percent", "NUMERIC"), F("until", "DATE")])]),
    F("address", "RECORD", fields=[F("city", "STRING")]),  # a record with nothing to convert
]
ROW = {"invoice_id": "A", "total": "99999999999999999999999999999.999999999",
       "big": "-578960446186580977117854925043439539266.34992332820282019728792003956564819967",
       "quantity": 9007199254740993, "paid": False, "ratio": 0.5, "date": "1969-12-31",
       "last_modified_time": "2026-01-02T03:04:05.123456+00:00", "blob": base64.b64encode(b"\x00\xff").decode(),
       "custom": '{"n":3}', "tags": ["x", "y"], "days": ["1970-01-02"], "address": {"city": "Lyon"},
       "line_items": [{"name": "a", "rate": "0.000000001", "shipped": "1999-12-31T18:29:59.999999+00:00",
                       "discount": {"percent": "12.5", "until": "2026-02-28"}},
                      {"name": "b", "rate": None, "discount": None}]}


def decode(proto: ProtoRows, data: bytes) -> dict:
    message = proto._message.FromString(data)
    return MessageToDict(message, preserving_proto_field_name=True)


def careful(proto: ProtoRows, row: dict) -> bytes:
    return proto._message(**proto._convert(row)).SerializeToString()


def test_a_row_decodes_to_exact_values():
    proto = ProtoRows(FIELDS)
    got = decode(proto, proto.encode(ROW))
    assert got == {
        "invoice_id": "A", "total": ROW["total"], "big": ROW["big"], "quantity": "9007199254740993", "paid": False,
        "ratio": 0.5, "date": -1, "last_modified_time": "1767323045123456", "blob": base64.b64encode(b"\x00\xff").decode(),
        "custom": '{"n":3}', "tags": ["x", "y"], "days": [1], "address": {"city": "Lyon"},
        "line_items": [{"name": "a", "rate": "0.000000001", "shipped": "946664999999999",
                        "discount": {"percent": "12.5", "until": 20512}},
                       {"name": "b"}]}  # null fields are unset, not empty strings
    assert proto.encode(ROW) == careful(proto, ROW)


def test_the_row_it_is_given_is_left_as_it_was():
    proto = ProtoRows(FIELDS)
    row = {"date": "2026-01-02", "line_items": [{"shipped": "2026-01-02T00:00:00+00:00"}]}
    proto.encode(row)
    assert row == {"date": "2026-01-02", "line_items": [{"shipped": "2026-01-02T00:00:00+00:00"}]}


def test_an_integer_given_as_text_is_read_exactly():
    proto = ProtoRows(FIELDS)
    assert decode(proto, proto.encode({"quantity": "9007199254740993"})) == {"quantity": "9007199254740993"}


def test_a_differently_cased_column_is_written_to_its_column():
    proto = ProtoRows(FIELDS)
    assert decode(proto, proto.encode({"Invoice_ID": "A", "DATE": "1970-01-11"})) == {"invoice_id": "A", "date": 10}


@pytest.mark.parametrize("row, error, reason", [
    ({"invoice_id": "A", "not_a_column": 1}, UnknownColumn, "no such field: not_a_column."),
    ({"line_items": [{"name": "a", "colour": "red"}]}, UnknownColumn, "no such field: colour."),
    ({"quantity": "many"}, RowRefused, "invalid: "),
    ({"quantity": "1.5"}, RowRefused, "invalid: "),
    ({"quantity": True}, RowRefused, "invalid: "),
    ({"total": 1.5}, RowRefused, "invalid: "),
    ({"last_modified_time": "yesterday"}, RowRefused, "invalid: "),
    ({"line_items": [None]}, RowRefused, "invalid: "),
    ({"line_items": {"name": "a"}}, RowRefused, "invalid: "),
])
def test_a_row_that_cannot_be_encoded_is_refused_with_its_reason(row, error, reason):
    with pytest.raises(error) as refused:
        ProtoRows(FIELDS).encode(row)
    assert str(refused.value).startswith(reason)
