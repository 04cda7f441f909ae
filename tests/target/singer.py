"""Build Singer messages for target tests (Decimal money written with its exact digits)."""

from __future__ import annotations

import simplejson

INVOICE_SCHEMA = {
    "type": "object",
    "properties": {
        "invoice_id": {"type": ["string"]},
        "organization_id": {"type": ["string"]},
        "total": {"type": ["number", "null"]},
        "status": {"type": ["string", "null"]},
        "date": {"type": ["string", "null"], "format": "date"},
        "last_modified_time": {"type": ["string", "null"], "format": "date-time"},
        "line_items": {"type": ["array", "null"], "items": {"type": "object", "properties": {
            "name": {"type": ["string", "null"]}, "rate": {"type": ["number", "null"]},
            "quantity": {"type": ["number", "null"]}}}},
        "custom": {"type": ["object", "null"]},
    },
}


def line(message: dict) -> str:
    return simplejson.dumps(message, use_decimal=True)


def schema(stream: str, properties_schema: dict, keys: list[str], bookmark: str | None = "last_modified_time") -> str:
    message = {"type": "SCHEMA", "stream": stream, "schema": properties_schema, "key_properties": keys}
    if bookmark:
        message["bookmark_properties"] = [bookmark]
    return line(message)


def record(stream: str, data: dict) -> str:
    return line({"type": "RECORD", "stream": stream, "record": data})


def state(value: dict) -> str:
    return line({"type": "STATE", "value": value})


def invoice(invoice_id: str, total, lmt: str = "2026-01-02T03:04:05-0800", **extra) -> dict:
    return {"invoice_id": invoice_id, "organization_id": "org1", "total": total, "status": "sent",
            "date": "2026-01-02", "last_modified_time": lmt, "line_items": [], **extra}
