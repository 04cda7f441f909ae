"""The product as users run it: `meltano run` with this repository's meltano.yml, against the sandbox
and the BigQuery emulator. Each test has its own Meltano system database (so its own state) and its
own dataset."""

from __future__ import annotations

import json
from decimal import Decimal

from local_services.meltano_runner import meltano
from tests.helpers import query

US_ORGS, EU_ORG = ("60001000001", "60001000002"), "20001000001"
TABLES = {"invoices": ("invoices", "invoice_id", "total"), "bills": ("bills", "bill_id", "total"),
          "purchase_orders": ("purchaseorders", "purchaseorder_id", "total"),
          "customer_payments": ("customerpayments", "payment_id", "amount"),
          "vendor_payments": ("vendorpayments", "payment_id", "amount")}


def current(bq, dataset, table, key, amount):
    return {(r["organization_id"], r[key]): r[amount] for r in
            query(bq, f"SELECT organization_id, {key}, {amount} FROM `{dataset}.{table}_current`")}


def expected(sandbox, orgs, entity, key, amount):
    return {(o, r.doc[key]): r.doc[amount] for o in orgs for r in sandbox.store.records(o, entity)}


def test_both_data_centers_land_in_the_same_tables_and_the_second_run_brings_only_changes(env, sandbox, bq, dataset):
    both = ("tap-zohobooks", "target-bigquery-audit", "tap-zohobooks--eu", "target-bigquery-audit")
    meltano(env, "run", *both)
    for table, (entity, key, amount) in TABLES.items():
        want = expected(sandbox, US_ORGS + (EU_ORG,), entity, key, amount)
        assert current(bq, dataset, table, key, amount) == want, table
    states = meltano(env, "state", "list").stdout.split()  # each data center has its own state
    assert "local:tap-zohobooks--eu-to-target-bigquery-audit" in states
    assert "local:tap-zohobooks-to-target-bigquery-audit" in states

    invoices = sorted(sandbox.store.records(US_ORGS[0], "invoices"), key=lambda r: r.doc["invoice_number"])
    open_invoice = dict(next(r.doc for r in invoices if r.doc["status"] in ("sent", "overdue") and r.doc["balance"] > 1))
    bill = sorted(sandbox.store.records(US_ORGS[1], "bills"), key=lambda r: r.doc["bill_number"])[0].doc
    sandbox.store.update(US_ORGS[0], "invoices", open_invoice["invoice_id"], {"reference_number": "PO-1"})
    payment = sandbox.store.create(US_ORGS[0], "customerpayments", {
        "customer_id": open_invoice["customer_id"], "amount": "0.10",
        "applied": [{"invoice_id": open_invoice["invoice_id"], "amount_applied": "0.10"}]})
    sandbox.store.void(US_ORGS[1], "bills", bill["bill_id"])
    eu_doc = sorted(sandbox.store.records(EU_ORG, "invoices"), key=lambda r: r.doc["invoice_number"])[0].doc
    sandbox.store.update(EU_ORG, "invoices", eu_doc["invoice_id"], {"reference_number": "EU-1"})
    before = len(sandbox.requests)

    meltano(env, "run", *both)
    calls = sandbox.api_calls(since=before)
    assert {(r["org_id"], r["dc"]) for r in calls if r["org_id"]} == {
        (US_ORGS[0], "us"), (US_ORGS[1], "us"), (EU_ORG, "eu")}  # each tap calls its own data center only
    details = {(r["dc"], r["path"].rsplit("/", 1)[1]) for r in calls
               if r["path"].count("/") == 4 and "/settings/" not in r["path"]}
    assert details == {("us", open_invoice["invoice_id"]), ("us", payment["payment_id"]), ("us", bill["bill_id"]),
                       ("eu", eu_doc["invoice_id"])}  # each data center resumed from its own state
    versions = query(bq, f"SELECT balance, reference_number FROM `{dataset}.invoices` "
                         f"WHERE invoice_id = '{open_invoice['invoice_id']}' ORDER BY last_modified_time")
    assert len(versions) == 2  # the edit is a new row; the first version stays
    now = query(bq, f"SELECT balance, reference_number FROM `{dataset}.invoices_current` "
                    f"WHERE invoice_id = '{open_invoice['invoice_id']}'")
    assert now == [{"balance": open_invoice["balance"] - Decimal("0.10"), "reference_number": "PO-1"}]
    assert query(bq, f"SELECT status FROM `{dataset}.bills_current` WHERE bill_id = '{bill['bill_id']}'") == [
        {"status": "void"}]
    assert query(bq, f"SELECT reference_number FROM `{dataset}.invoices_current` "
                     f"WHERE organization_id = '{EU_ORG}' AND invoice_id = '{eu_doc['invoice_id']}'") == [
        {"reference_number": "EU-1"}]
    state = json.loads(meltano(env, "state", "get", "local:tap-zohobooks-to-target-bigquery-audit").stdout)
    assert set(TABLES) <= set(state["singer_state"]["bookmarks"])


def test_tap_with_another_target_and_target_with_another_tap(env, sandbox, bq, dataset, tmp_path):
    """Both plugins are plain Singer: one `meltano run` of two pipelines (saves a Meltano start-up)."""
    source = tmp_path / "countries.jsonl"
    source.write_text('{"code": "DE", "name": "Germany", "vat": 0.19}\n{"code": "FR", "name": "France", "vat": 0.2}\n')
    env = {**env, "TAP_JSONL_PATH": str(source), "TAP_JSONL_STREAM_NAME": "countries",
           "TAP_JSONL_PRIMARY_KEYS": '["code"]'}
    meltano(env, "install", "extractor", "tap-jsonl")
    meltano(env, "run", "tap-zohobooks", "target-jsonl", "tap-jsonl", "target-bigquery-audit")

    lines = (tmp_path / "jsonl" / "invoices.jsonl").read_text().splitlines()
    ids = {json.loads(line)["invoice_id"] for line in lines}
    assert ids == {r.doc_id for o in US_ORGS for r in sandbox.store.records(o, "invoices")}

    rows = query(bq, f"SELECT code, name, _row_id, _source, _source_event_id FROM `{dataset}.countries_current` ORDER BY code")
    assert [(r["code"], r["name"]) for r in rows] == [("DE", "Germany"), ("FR", "France")]
    assert all(r["_source"] == "poll" and len(r["_row_id"]) == 64 and r["_source_event_id"] for r in rows)
