"""What the target tells at the end of a run, and where it keeps rows BigQuery did not take."""

from __future__ import annotations

import logging
from pathlib import Path

from target_bigquery_audit.retry_queue import default_directory
from tests.helpers import run_target, target_config
from tests.target import singer
from tests.target.singer import INVOICE_SCHEMA, invoice


def test_the_queue_lives_beside_the_meltano_project_whatever_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MELTANO_PROJECT_ROOT", str(tmp_path / "project"))
    assert default_directory() == tmp_path / "project/.meltano/run/target-bigquery-audit/retry-queue"
    assert default_directory("queue") == tmp_path / "project/queue"
    monkeypatch.delenv("MELTANO_PROJECT_ROOT")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert default_directory() == tmp_path / "state/target-bigquery-audit/retry-queue"
    assert default_directory().is_absolute() and default_directory("rel").is_absolute()


def test_the_summary_counts_rows_per_table_and_dead_letters(bigquery_emulator, dataset, tmp_path, caplog):
    config = target_config(bigquery_emulator, dataset, tmp_path, load_method="batch_load")
    bad = invoice("3", 1)
    bad["total"] = "not a number"
    with caplog.at_level(logging.INFO):
        run_target(config, [singer.schema("invoices", INVOICE_SCHEMA, ["invoice_id"]),
                            singer.record("invoices", invoice("1", 1)), singer.record("invoices", invoice("2", 2)),
                            singer.record("invoices", bad)])
    summary = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Run summary")]
    assert len(summary) == 1
    assert "load_method=batch_load; rows written: invoices=2; dead-lettered: 1; left in the retry queue: 0" \
        in summary[0]


def test_rows_left_in_the_queue_are_announced_with_their_place(tmp_path, caplog):
    config = {"project": "p", "dataset": "d", "emulator": True, "api_endpoint": "http://127.0.0.1:9",
              "storage_api_endpoint": "127.0.0.1:9",
              "retry_queue_dir": str(tmp_path / "queue"), "max_retries": 1, "request_timeout_seconds": 2}
    with caplog.at_level(logging.INFO):
        states = run_target(config, [singer.schema("invoices", INVOICE_SCHEMA, ["invoice_id"]),
                                     singer.record("invoices", invoice("1", 1)), singer.state({"done": 1})])
    assert states == [{"done": 1}]  # BigQuery never answered: set-up and rows queued, the run went on
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"1 row(s) are not in BigQuery yet: they wait in the retry queue {Path(tmp_path / 'queue')}" in w
               for w in warnings)
