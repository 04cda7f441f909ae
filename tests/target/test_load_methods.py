"""Each load method lands nested line items with exact money, once; unsupported methods are refused clearly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import query, run_target, target_config
from tests.target import singer
from tests.target.singer import INVOICE_SCHEMA, invoice

ROOT = Path(__file__).resolve().parents[2]


def invoice_lines(count: int) -> list[str]:
    lines = [singer.schema("invoices", INVOICE_SCHEMA, ["invoice_id"])]
    for i in range(1, count + 1):
        items = [{"name": f"item {j}", "rate": Decimal(f"{i}.{j:02d}"), "quantity": Decimal("1.5")}
                 for j in range(1, 1 + i % 4)]
        lines.append(singer.record("invoices", invoice(f"{i:03d}", Decimal(f"1234567890.{i:02d}"), line_items=items)))
        if i % 5 == 0:
            lines.append(singer.state({"bookmarks": {"invoices": {"done": i}}}))
    return lines


@pytest.mark.parametrize("method", ["storage_write", "streaming_insert", "batch_load"])
def test_each_method_lands_nested_line_items_with_exact_money_once(bigquery_emulator, bq, dataset, tmp_path, method):
    config = target_config(bigquery_emulator, dataset, tmp_path, load_method=method, batch_size_rows=7)
    states = run_target(config, invoice_lines(12))
    assert states[-1] == {"bookmarks": {"invoices": {"done": 10}}}
    assert len(states) == len({json.dumps(s) for s in states})  # each STATE passed on once, the last too
    rows = query(bq, f"SELECT invoice_id, total, line_items FROM `{dataset}.invoices` ORDER BY invoice_id")
    assert [r["invoice_id"] for r in rows] == [f"{i:03d}" for i in range(1, 13)]
    assert all(r["total"] == Decimal(f"1234567890.{i:02d}") for i, r in enumerate(rows, 1))
    third = rows[2]["line_items"]
    assert [(li["name"], li["rate"], li["quantity"]) for li in third] == [
        ("item 1", Decimal("3.01"), Decimal("1.5")), ("item 2", Decimal("3.02"), Decimal("1.5")),
        ("item 3", Decimal("3.03"), Decimal("1.5"))]
    # The same input again (a re-run): not one row more.
    run_target(config, invoice_lines(12))
    assert len(query(bq, f"SELECT _row_id FROM `{dataset}.invoices`")) == 12


def test_batch_load_sends_a_refused_row_to_the_dead_letter_table(bigquery_emulator, bq, dataset, tmp_path):
    config = target_config(bigquery_emulator, dataset, tmp_path, load_method="batch_load")
    run_target(config, invoice_lines(1))
    from target_bigquery_audit.batch_load import BatchLoader
    from target_bigquery_audit.target import TargetBigQueryAudit

    target = TargetBigQueryAudit(config=config, parse_env_config=False)
    refused = BatchLoader(target.writer, tmp_path / "journal.jsonl").insert("invoices", [
        {"insertId": "ok", "json": {"invoice_id": "900", "organization_id": "org1", "_row_id": "ok"}},
        {"insertId": "bad", "json": {"invoice_id": "901", "total": "not money", "_row_id": "bad"}}])
    assert [row["insertId"] for row, _ in refused] == ["bad"] and refused[0][1]
    assert {r["invoice_id"] for r in query(bq, f"SELECT invoice_id FROM `{dataset}.invoices`")} == {"001", "900"}


def test_an_unsupported_load_method_is_refused_in_one_line_by_the_cli(bigquery_emulator, dataset, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(target_config(bigquery_emulator, dataset, tmp_path, load_method="upsert")))
    done = subprocess.run([sys.executable, "-m", "target_bigquery_audit.target", "--config", str(config)],
                          input="", capture_output=True, text=True, cwd=ROOT, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "load_method 'upsert' is not supported; use one of: storage_write, streaming_insert, batch_load" in done.stderr


def test_batch_load_of_one_feed_into_two_datasets_lands_in_both(bigquery_emulator, bq, dataset, tmp_path):
    # Load job ids are unique per project: the same rows for a table of the same name in another
    # dataset must get their own job, not the first dataset's (which would leave the second empty).
    for name in (dataset, f"{dataset}_copy"):
        run_target(target_config(bigquery_emulator, name, tmp_path / name, load_method="batch_load"), invoice_lines(3))
        assert len(query(bq, f"SELECT _row_id FROM `{name}.invoices`")) == 3, name


def test_storage_write_against_the_emulator_without_its_grpc_endpoint_is_refused_in_one_line():
    from singer_sdk.exceptions import ConfigValidationError

    from target_bigquery_audit.load_methods import load_method

    with pytest.raises(ConfigValidationError, match="needs storage_api_endpoint, the host:port of the emulator's gRPC"):
        load_method({"emulator": True})
    assert load_method({"emulator": True, "storage_api_endpoint": "127.0.0.1:9060"}) == "storage_write"
    assert load_method({"emulator": True, "load_method": "streaming_insert"}) == "streaming_insert"
