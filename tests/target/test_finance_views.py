"""The finance views answer what the sandbox's own books say, computed here independently."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest

from tests.helpers import query, run_tap, run_target, tap_config, target_config

ORGS = ("60001000001", "60001000002")


@pytest.fixture
def loaded(sandbox, bigquery_emulator, bq, dataset, tmp_path):
    result = run_tap(tap_config(sandbox, tmp_path))
    run_target(target_config(bigquery_emulator, dataset, tmp_path), result.lines)
    return sandbox, bq, dataset


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
                expected[(org, inv["invoice_id"])] = ((today - due).days, inv["balance"],
                                                      inv["balance"] * inv["exchange_rate"])
    rows = query(bq, f"SELECT * FROM `{dataset}.finance_overdue_invoices`")
    got = {(r["organization_id"], r["invoice_id"]): (r["days_overdue"], r["open_balance"], r["open_balance_base"])
           for r in rows}
    assert expected and got == expected


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
    kinds = {"invoices": ("invoice", "total"), "bills": ("bill", "total"), "purchaseorders": ("purchase_order", "total"),
             "customerpayments": ("customer_payment", "amount"), "vendorpayments": ("vendor_payment", "amount")}
    for org in ORGS:
        for entity, (kind, field) in kinds.items():
            for doc in docs(sandbox, org, entity):
                row = expected[(org, kind, doc["currency_code"])]
                row[0] += 1
                row[1] += doc[field]
                row[2] += doc[field] * doc["exchange_rate"]
    rows = query(bq, f"SELECT * FROM `{dataset}.finance_totals_by_organization`")
    got = {(r["organization_id"], r["document_type"], r["currency_code"]): [r["documents"], r["total"], r["total_base"]]
           for r in rows}
    assert got == {k: v for k, v in expected.items()}
    assert any(k[2] != "USD" for k in got)  # several currencies, converted at each document's own rate
