"""The local BigQuery emulator answers the real client the way BigQuery does."""

from __future__ import annotations

from decimal import Decimal

from google.cloud import bigquery

from tests.helpers import query


def test_emulator_round_trips_a_row_exactly(bq, dataset):
    bq.create_dataset(dataset)
    table = bigquery.Table(f"{bq.project}.{dataset}.t", schema=[
        bigquery.SchemaField("id", "STRING"), bigquery.SchemaField("amount", "NUMERIC"),
        bigquery.SchemaField("at", "TIMESTAMP"), bigquery.SchemaField("doc", "JSON")])
    bq.create_table(table)
    errors = bq.insert_rows_json(table, [
        {"id": "a", "amount": "0.10", "at": "2013-11-18T10:02:51Z", "doc": '{"x": 1}'},
        {"id": "b", "amount": "0.20", "at": "2013-11-18T10:02:52Z", "doc": '{"x": 2}'}], row_ids=["a", "b"])
    assert errors == []
    rows = query(bq, f"SELECT SUM(amount) AS total, COUNT(*) AS n FROM `{dataset}.t`")
    assert rows == [{"total": Decimal("0.3"), "n": 2}]


def test_emulator_reports_per_row_errors(bq, dataset):
    bq.create_dataset(dataset)
    table = bigquery.Table(f"{bq.project}.{dataset}.t", schema=[bigquery.SchemaField("amount", "NUMERIC")])
    bq.create_table(table)
    errors = bq.insert_rows_json(table, [{"amount": "1"}, {"amount": "1" * 40}], row_ids=["x", "y"])
    assert [e["errors"][0]["reason"] for e in errors] == ["stopped", "invalid"]
