"""Small runs do not recreate views whose definition has not changed; a changed definition is applied."""

from __future__ import annotations

from target_bigquery_audit.writer import VIEW_DEFINITION_LABEL
from tests.helpers import query, run_target, target_config
from tests.target import singer
from tests.target.singer import INVOICE_SCHEMA, invoice


def test_views_are_recreated_only_when_their_definition_changes(bigquery_emulator, bq, dataset, tmp_path):
    config = target_config(bigquery_emulator, dataset, tmp_path)
    schema = singer.schema("invoices", INVOICE_SCHEMA, ["invoice_id"])
    run_target(config, [schema, singer.record("invoices", invoice("1", 1))])
    view_id = f"{bq.project}.{dataset}.invoices_current"
    first = bq.get_table(view_id)
    assert len(first.labels[VIEW_DEFINITION_LABEL]) == 32

    run_target(config, [schema, singer.record("invoices", invoice("2", 2))])  # a small incremental run
    assert bq.get_table(view_id).modified == first.modified  # no DDL
    assert len(query(bq, f"SELECT * FROM `{view_id}`")) == 2

    stale = bq.get_table(view_id)  # as if an older release had written another definition
    stale.labels = {VIEW_DEFINITION_LABEL: "0" * 32}
    bq.update_table(stale, ["labels"])
    run_target(config, [schema, singer.record("invoices", invoice("3", 3))])
    assert bq.get_table(view_id).labels[VIEW_DEFINITION_LABEL] == first.labels[VIEW_DEFINITION_LABEL]
    assert len(query(bq, f"SELECT * FROM `{view_id}`")) == 3
