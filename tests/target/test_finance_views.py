"""The finance views answer what the sandbox's own books say, computed here independently."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from decimal import Decimal

import pytest

from local_services.zoho_sandbox import SandboxConfig, ZohoSandbox
from local_services.zoho_sandbox.entities import money
from target_bigquery_audit.finance_views import finance_view_sql
from tests.helpers import query, run_tap, run_target, tap_config, target_config

ORGS = ("60001000001", "60001000002")
NAMES = {"60001000001": ("Northwind Supplies Inc.", "USD"), "60001000002": ("Northwind Labs LLC", "USD")}


def base(doc, field, zoho_field=None):
    """What the views must show: Zoho's own base amount, else amount × rate rounded once to cents."""
    if zoho_field and doc.get(zoho_field) not in (None, ""):
        return doc[zoho_field]
    return money(doc[field] * doc["exchange_rate"])  # half-up on positive amounts = BigQuery's ROUND


@pytest.fixture(scope="module")
def loaded(bigquery_emulator, tmp_path_factory):
    """One sync for the whole module: every test here only reads the books and the views."""
    tmp_path = tmp_path_factory.mktemp("finance")
    dataset = f"finance_views_{uuid.uuid4().hex[:6]}"
    with ZohoSandbox(SandboxConfig(requests_per_window=100000), documents=300) as sandbox:
        result = run_tap(tap_config(sandbox, tmp_path))
        run_target(target_config(bigquery_emulator, dataset, tmp_path), result.lines)
        yield sandbox, bigquery_emulator.client(), dataset


def docs(sandbox, org, entity):
    return [r.doc for r in sandbox.store.records(org, entity)]


def test_overdue_invoices(loaded):
    sandbox, bq, dataset = loaded
    today = dt.datetime.now(dt.timezone.utc).date()
    expected = {}
    for org in ORGS:
        for inv in docs(sandbox, org, "invoices"):
            due = dt.date.fromisoformat(inv["due_date"])
            if inv["status"] not in ("void", "draft") and inv["balance"] > 0 and due < today:
                expected[(org, inv["invoice_id"])] = ((today - due).days, inv["balance"], base(inv, "balance"),
                                                      *NAMES[org])
    rows = query(bq, f"SELECT * FROM `{dataset}.finance_overdue_invoices`")
    got = {(r["organization_id"], r["invoice_id"]): (r["days_overdue"], r["open_balance"], r["open_balance_base"],
                                                     r["organization_name"], r["base_currency_code"])
           for r in rows}
    assert expected and got == expected
    assert any(inv_base != balance for _, balance, inv_base, *_ in got.values())  # foreign currencies converted


def test_invoice_to_payment_timeline(loaded):
    sandbox, bq, dataset = loaded
    expected = {}
    for org in ORGS:
        invoices = {i["invoice_id"]: i for i in docs(sandbox, org, "invoices")}
        by_invoice = defaultdict(list)
        for payment in docs(sandbox, org, "customerpayments"):
            for applied in payment["invoices"]:
                by_invoice[applied["invoice_id"]].append((payment["date"], payment["payment_id"], applied["amount_applied"]))
        for invoice_id, payments in by_invoice.items():
            invoice = invoices[invoice_id]
            invoice_date = dt.date.fromisoformat(invoice["date"])
            paid, full_on = Decimal("0"), None
            for date, payment_id, amount in sorted(payments):
                paid += amount
                if full_on is None and paid >= invoice["total"]:
                    full_on = dt.date.fromisoformat(date)
            for date, payment_id, amount in payments:
                expected[(org, invoice_id, payment_id)] = (
                    (dt.date.fromisoformat(date) - invoice_date).days, amount, full_on,
                    None if full_on is None else (full_on - invoice_date).days)
    rows = query(bq, f"SELECT * FROM `{dataset}.finance_invoice_payments`")
    got = {(r["organization_id"], r["invoice_id"], r["payment_id"]):
           (r["days_to_payment"], r["amount_applied"], r["fully_paid_on"], r["days_to_full_payment"]) for r in rows}
    assert expected and got == expected
    assert any(v[2] is None for v in got.values()) and any(v[2] is not None for v in got.values())


def test_amounts_in_document_and_base_currency_by_organization(loaded):
    sandbox, bq, dataset = loaded
    expected = defaultdict(lambda: [0, Decimal("0"), Decimal("0")])
    kinds = {"invoices": ("invoice", "total", "bcy_total"), "bills": ("bill", "total", "bcy_total"),
             "purchaseorders": ("purchase_order", "total", None),
             "customerpayments": ("customer_payment", "amount", "bcy_amount"),
             "vendorpayments": ("vendor_payment", "amount", None)}
    for org in ORGS:
        for entity, (kind, field, zoho_field) in kinds.items():
            for doc in docs(sandbox, org, entity):
                row = expected[(org, *NAMES[org], kind, doc["currency_code"])]
                row[0] += 1
                row[1] += doc[field]
                row[2] += base(doc, field, zoho_field)
    rows = query(bq, f"SELECT * FROM `{dataset}.finance_totals_by_organization`")
    got = {(r["organization_id"], r["organization_name"], r["base_currency_code"], r["document_type"],
            r["currency_code"]): [r["documents"], r["total"], r["total_base"]] for r in rows}
    assert got == {k: v for k, v in expected.items()}
    assert any(k[4] != "USD" for k in got)  # several currencies, converted at each document's own rate
    # exact to the cent: no digits beyond the currency's precision, nothing lost at 9 decimals
    assert all(v[2] == v[2].quantize(Decimal("0.01")) for v in got.values())


def test_documents_use_zohos_base_amounts_where_they_exist(loaded):
    sandbox, bq, dataset = loaded
    rows = query(bq, f"SELECT organization_id, document_type, document_id, total_base, balance_base "
                     f"FROM `{dataset}.finance_documents` WHERE document_type IN ('invoice', 'customer_payment')")
    by_id = {(r["organization_id"], r["document_id"]): r for r in rows}
    checked = 0
    for org in ORGS:
        for payment in docs(sandbox, org, "customerpayments"):
            row = by_id[(org, payment["payment_id"])]
            assert (row["total_base"], row["balance_base"]) == (payment["bcy_amount"], payment["bcy_unused_amount"])
            checked += 1
        for invoice in docs(sandbox, org, "invoices"):
            assert by_id[(org, invoice["invoice_id"])]["total_base"] == invoice["bcy_total"]
            checked += 1
    assert checked


def test_views_follow_the_columns_tables_have():
    """A table without Zoho's base amounts (another tap, an older version) gets the computed one."""
    table = "`p.d.{}`".format
    full = {"invoices": {"total", "bcy_total", "price_precision"}, "organizations": {"name", "price_precision"}}
    bare = {"invoices": {"total"}}
    with_bcy = finance_view_sql(table, full)["finance_documents"]
    without = finance_view_sql(table, bare)["finance_documents"]
    assert "bcy_total" in with_bcy and "COALESCE(o.price_precision, d.price_precision, 2)" in with_bcy
    assert "bcy_total" not in without and "organizations_current" not in without
    assert "CAST(NULL AS STRING) AS organization_name" in without and ", 2) AS total_base" in without
    assert "WHEN 3 THEN CAST(ROUND(" in with_bcy  # a currency with three decimals rounds to three
