"""The tap's RECORD lines carry `_raw` as canonical JSON text, which is what lets the target store it as it
arrives (its schemas promise it with `x-canonical-json`)."""

from __future__ import annotations

import msgspec

from tap_zohobooks.client import load_schema
from target_bigquery_audit.json_codec import canonical_json, decode_json
from tests.helpers import run_tap
from tests.tap.conftest import US_ORG2


class _Raw(msgspec.Struct):
    _raw: msgspec.Raw = msgspec.UNSET


class _Line(msgspec.Struct):
    record: _Raw


def test_every_raw_the_tap_writes_is_canonical_text(sandbox, config):
    sandbox.store.create(US_ORG2, "invoices", {"line_items": [
        {"name": "Câble Zoë 漢字 \"quoted\" </script>", "rate": "0.10", "quantity": 3}]})
    result = run_tap({**config, "organization_ids": [US_ORG2]})
    records = [line for line in result.lines if line.startswith('{"type":"RECORD"')]
    assert len(records) > 20
    for line in records:
        raw = bytes(msgspec.json.decode(line, type=_Line).record._raw).decode()
        assert raw == canonical_json(decode_json(raw.encode())), line[:120]
    assert any("Câble Zoë 漢字" in line for line in records)  # UTF-8 as is, not \u escapes
    for stream in ("invoices", "bills", "document_events", "webhook_history", "organizations"):
        assert load_schema(stream)["properties"]["_raw"]["x-canonical-json"] is True
