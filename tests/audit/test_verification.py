"""Every row's `_payload_sha256` is verifiable from BigQuery alone (docs/verification.md)."""

from __future__ import annotations

from decimal import Decimal

from tests.audit.conftest import US_ORG2, sync
from tests.helpers import query, run_target, tap_config, target_config
from tests.target import singer
from tests.target.singer import INVOICE_SCHEMA, invoice

VERIFY = ("SELECT COUNT(*) AS total_rows, COUNTIF(TO_HEX(SHA256(_raw)) = _payload_sha256) AS verified "
          "FROM `{table}`")


def test_the_verification_query_matches_every_row_of_every_table(sandbox, bigquery_emulator, bq, dataset, tmp_path):
    sandbox.config.share_without_last_modified_time = 0.2
    sandbox.store.create(US_ORG2, "invoices", {"line_items": [{"name": "Cable", "rate": "0.10", "quantity": 3}]})
    target = target_config(bigquery_emulator, dataset, tmp_path)
    result = sync(tap_config(sandbox, tmp_path, organization_ids=[US_ORG2]), target)
    tables = [t.table_id for t in bq.list_tables(dataset) if t.table_type == "TABLE"
              and "_payload_sha256" in {f.name for f in bq.get_table(t).schema}]  # not _dead_letter
    assert {"invoices", "bills", "vendor_payments", "document_events"} <= set(tables)
    checked = 0
    for table in tables:
        counts = query(bq, VERIFY.format(table=f"{dataset}.{table}"))[0]
        assert counts["verified"] == counts["total_rows"], table
        checked += counts["total_rows"]
    assert checked == sum(m["type"] == "RECORD" for m in result.messages)  # every row sent was checked
    raw = query(bq, f"SELECT _raw FROM `{dataset}.invoices` WHERE _raw LIKE '%\"rate\":0.10%'")
    assert raw  # the trailing zero Zoho sent is still there, exactly as hashed


def test_a_table_made_with_a_json_raw_column_gets_a_string_one(bigquery_emulator, bq, dataset, tmp_path):
    from google.cloud import bigquery

    schema = [f for f in bq.schema_from_json(_old_schema(tmp_path))]
    bq.create_dataset(dataset, exists_ok=True)
    bq.create_table(bigquery.Table(f"{bq.project}.{dataset}.invoices", schema=schema))
    run_target(target_config(bigquery_emulator, dataset, tmp_path), [
        singer.schema("invoices", INVOICE_SCHEMA, ["invoice_id"]),
        singer.record("invoices", invoice("1", Decimal("0.10")))])
    columns = {f.name: f.field_type for f in bq.get_table(f"{dataset}.invoices").schema}
    assert columns["_raw"] == "JSON" and columns["_raw__string"] == "STRING"
    row = query(bq, f"SELECT TO_HEX(SHA256(_raw__string)) = _payload_sha256 AS ok FROM `{dataset}.invoices`")
    assert row == [{"ok": True}]


def _old_schema(tmp_path):
    import json

    path = tmp_path / "old.json"
    path.write_text(json.dumps([
        {"name": "invoice_id", "type": "STRING"}, {"name": "_source_event_id", "type": "STRING"},
        {"name": "_payload_sha256", "type": "STRING"}, {"name": "_raw", "type": "JSON"}]))
    return str(path)
