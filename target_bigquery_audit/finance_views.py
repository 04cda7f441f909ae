"""Finance views over the Zoho Books `_current` views, created when those tables exist.

- `finance_overdue_invoices`: open invoices past their due date, days overdue, open balance in the
  invoice's currency and in the organization's base currency. Overdue is computed from `due_date`
  and today's date (UTC), not from Zoho's `status`, which only changes when a document is saved.
- `finance_invoice_payments`: one row per payment applied to an invoice: days from the invoice date
  to that payment, amount paid to date, and the date and days to full payment.
- `finance_documents`: every document with its amounts in its own currency and in the base currency
  (`amount * exchange_rate`, kept exact: NUMERIC products are not rounded; Zoho's own rounded base
  amounts stay in columns such as `bcy_amount`).
- `finance_totals_by_organization`: those amounts summed by organization, document type and currency.

Other taps' tables are left alone: the views are only made when the tables they read exist.
"""

from __future__ import annotations

from typing import Callable


def _documents_sql(t: Callable[[str], str], present: set[str]) -> str:
    parts = {
        "invoices": f"""SELECT organization_id, 'invoice' AS document_type, invoice_id AS document_id,
  invoice_number AS document_number, customer_name AS counterparty, date, status, currency_code, exchange_rate,
  total, total * exchange_rate AS total_base, balance, balance * exchange_rate AS balance_base
FROM {t('invoices_current')}""",
        "bills": f"""SELECT organization_id, 'bill', bill_id, bill_number, vendor_name, date, status, currency_code,
  exchange_rate, total, total * exchange_rate, balance, balance * exchange_rate
FROM {t('bills_current')}""",
        "purchase_orders": f"""SELECT organization_id, 'purchase_order', purchaseorder_id, purchaseorder_number,
  vendor_name, date, status, currency_code, exchange_rate, total, total * exchange_rate, NULL, NULL
FROM {t('purchase_orders_current')}""",
        "customer_payments": f"""SELECT organization_id, 'customer_payment', payment_id, payment_number,
  customer_name, date, NULL, currency_code, exchange_rate, amount, amount * exchange_rate, unused_amount,
  unused_amount * exchange_rate
FROM {t('customer_payments_current')}""",
        "vendor_payments": f"""SELECT organization_id, 'vendor_payment', payment_id, payment_number, vendor_name,
  date, NULL, currency_code, exchange_rate, amount, amount * exchange_rate, balance, balance * exchange_rate
FROM {t('vendor_payments_current')}""",
    }
    return "\nUNION ALL\n".join(sql for name, sql in parts.items() if name in present)


def finance_view_sql(table: Callable[[str], str], present: set[str]) -> dict[str, str]:
    """View name → CREATE OR REPLACE VIEW statement, for the Zoho tables that are present.

    `table(name)` gives the quoted, fully qualified name of a table or view.
    """
    views: dict[str, str] = {}
    if "invoices" in present:
        views["finance_overdue_invoices"] = f"""
SELECT organization_id, invoice_id, invoice_number, customer_id, customer_name, date AS invoice_date, due_date,
  DATE_DIFF(CURRENT_DATE(), due_date, DAY) AS days_overdue, currency_code, exchange_rate, total,
  balance AS open_balance, balance * exchange_rate AS open_balance_base
FROM {table('invoices_current')}
WHERE status NOT IN ('void', 'draft') AND balance > 0 AND due_date < CURRENT_DATE()"""
    if {"invoices", "customer_payments"} <= present:
        views["finance_invoice_payments"] = f"""
WITH applied AS (
  SELECT p.organization_id, a.invoice_id, p.payment_id, p.payment_number, p.date AS payment_date, a.amount_applied
  FROM {table('customer_payments_current')} AS p CROSS JOIN UNNEST(p.invoices) AS a
), timeline AS (
  SELECT i.organization_id, i.invoice_id, i.invoice_number, i.customer_name, i.currency_code,
    i.date AS invoice_date, i.total AS invoice_total, ap.payment_id, ap.payment_number, ap.payment_date,
    ap.amount_applied, DATE_DIFF(ap.payment_date, i.date, DAY) AS days_to_payment,
    SUM(ap.amount_applied) OVER (PARTITION BY i.organization_id, i.invoice_id
      ORDER BY ap.payment_date, ap.payment_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS paid_to_date
  FROM {table('invoices_current')} AS i
  JOIN applied AS ap ON ap.organization_id = i.organization_id AND ap.invoice_id = i.invoice_id
)
SELECT *, MIN(IF(paid_to_date >= invoice_total, payment_date, NULL))
    OVER (PARTITION BY organization_id, invoice_id) AS fully_paid_on,
  DATE_DIFF(MIN(IF(paid_to_date >= invoice_total, payment_date, NULL))
    OVER (PARTITION BY organization_id, invoice_id), invoice_date, DAY) AS days_to_full_payment
FROM timeline"""
    documents = _documents_sql(table, present)
    if documents:
        views["finance_documents"] = documents
        views["finance_totals_by_organization"] = f"""
SELECT organization_id, document_type, currency_code, COUNT(*) AS documents, SUM(total) AS total,
  SUM(total_base) AS total_base, SUM(balance) AS balance, SUM(balance_base) AS balance_base
FROM {table('finance_documents')}
GROUP BY organization_id, document_type, currency_code"""
    return {name: f"CREATE OR REPLACE VIEW {table(name)} AS{sql}" if sql.startswith("\n")
            else f"CREATE OR REPLACE VIEW {table(name)} AS\n{sql}" for name, sql in views.items()}
