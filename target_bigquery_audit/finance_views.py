"""Finance views over the Zoho Books `_current` views, created when those tables exist.

- `finance_overdue_invoices`: open invoices past their due date, days overdue, open balance in the
  invoice's currency and in the organization's base currency. Overdue is computed from `due_date`
  and today's date (UTC), not from Zoho's `status`, which only changes when a document is saved.
- `finance_invoice_payments`: one row per payment applied to an invoice: days from the invoice date
  to that payment, amount paid to date, and the date and days to full payment.
- `finance_documents`: every document with its amounts in its own currency and in the base currency.
- `finance_totals_by_organization`: those amounts summed by organization, document type and currency.

Every view names the organization (`organization_name`) and the base currency (`base_currency_code`)
from the `organizations` table (latest version), when that table exists.

Base-currency amounts (docs/fields.md): Zoho's own where the document carries one (`bcy_total`,
`bcy_amount`, `bcy_unused_amount`); otherwise `amount × exchange_rate` computed in BIGNUMERIC (exact:
NUMERIC × NUMERIC would round at 9 decimals) and rounded ONCE to the currency's precision
(`price_precision` of the organization, else of the document, else 2), half away from zero
(BigQuery's ROUND); a precision outside 0..8 leaves the exact product unrounded. The SQL is generated from the columns each table actually has, so a table from
another tap or from an older version of this one (without a `bcy_*` column) still gets valid views.
Other taps' tables are left alone: the views are only made when the tables they read exist.
"""

from __future__ import annotations

from typing import Callable

ORGANIZATIONS = "organizations"
# The tables the views read: table name → its columns (from BigQuery), for the present ones.
Columns = dict[str, set[str]]
PRECISIONS = range(9)  # decimal places a currency can have (NUMERIC keeps 9)


class _Sql:
    """SQL fragments that depend on which tables and columns exist."""

    def __init__(self, table: Callable[[str], str], columns: Columns) -> None:
        self.table, self.columns = table, columns
        self.orgs = columns.get(ORGANIZATIONS)

    def org_join(self, alias: str) -> str:
        if self.orgs is None:
            return ""
        return f"\nLEFT JOIN {self.table(ORGANIZATIONS + '_current')} AS o ON o.organization_id = {alias}.organization_id"

    def org_columns(self) -> str:
        if self.orgs is None:
            return "CAST(NULL AS STRING) AS organization_name, CAST(NULL AS STRING) AS base_currency_code"
        return "o.name AS organization_name, o.currency_code AS base_currency_code"

    def precision(self, name: str, alias: str) -> str | None:
        """The currency precision expression, or None when no table says it (then 2)."""
        candidates = []
        if self.orgs is not None and "price_precision" in self.orgs:
            candidates.append("o.price_precision")
        if "price_precision" in self.columns[name]:
            candidates.append(f"{alias}.price_precision")
        return f"COALESCE({', '.join(candidates)}, 2)" if candidates else None

    def base(self, name: str, alias: str, amount: str, zoho_base: str | None = None) -> str:
        """The base-currency amount: Zoho's own if the table has it, else computed and rounded once."""
        exact = f"CAST({alias}.{amount} AS BIGNUMERIC) * {alias}.exchange_rate"  # BIGNUMERIC: exact
        precision = self.precision(name, alias)
        if precision is None:
            computed = f"ROUND({exact}, 2)"
        else:  # ROUND's digits as literals: portable to engines that only take a constant there
            cases = " ".join(f"WHEN {p} THEN CAST(ROUND({exact}, {p}) AS BIGNUMERIC)" for p in PRECISIONS)
            computed = f"CASE {precision} {cases} ELSE {exact} END"
        if zoho_base and zoho_base in self.columns[name]:
            return f"COALESCE(CAST({alias}.{zoho_base} AS BIGNUMERIC), {computed})"
        return computed


def _documents_sql(sql: _Sql) -> str:
    # name → (document type, id, number, counterparty, status, amount, Zoho's base amount, open amount,
    #         Zoho's base open amount)
    shapes = {
        "invoices": ("invoice", "invoice_id", "invoice_number", "customer_name", "status", "total", "bcy_total",
                     "balance", None),
        "bills": ("bill", "bill_id", "bill_number", "vendor_name", "status", "total", "bcy_total", "balance", None),
        "purchase_orders": ("purchase_order", "purchaseorder_id", "purchaseorder_number", "vendor_name", "status",
                            "total", "bcy_total", None, None),
        "customer_payments": ("customer_payment", "payment_id", "payment_number", "customer_name", None, "amount",
                              "bcy_amount", "unused_amount", "bcy_unused_amount"),
        "vendor_payments": ("vendor_payment", "payment_id", "payment_number", "vendor_name", None, "amount",
                            "bcy_amount", "balance", "bcy_balance"),
    }
    parts = []
    for name, (kind, id_, number, party, status, amount, bcy, open_, open_bcy) in shapes.items():
        if name not in sql.columns:
            continue
        open_amount = f"d.{open_}" if open_ else "CAST(NULL AS NUMERIC)"
        open_base = sql.base(name, "d", open_, open_bcy) if open_ else "CAST(NULL AS BIGNUMERIC)"
        parts.append(f"""SELECT d.organization_id, {sql.org_columns()}, '{kind}' AS document_type,
  d.{id_} AS document_id, d.{number} AS document_number, d.{party} AS counterparty, d.date,
  {f'd.{status}' if status else 'CAST(NULL AS STRING)'} AS status, d.currency_code, d.exchange_rate,
  d.{amount} AS total, {sql.base(name, 'd', amount, bcy)} AS total_base, {open_amount} AS balance,
  {open_base} AS balance_base
FROM {sql.table(name + '_current')} AS d{sql.org_join('d')}""")
    return "\nUNION ALL\n".join(parts)


def finance_view_sql(table: Callable[[str], str], columns: Columns) -> dict[str, str]:
    """View name → CREATE OR REPLACE VIEW statement, for the Zoho tables that are present.

    `table(name)` gives the quoted, fully qualified name of a table or view; `columns` maps each
    present table to its column names.
    """
    sql = _Sql(table, columns)
    views: dict[str, str] = {}
    if "invoices" in columns:
        views["finance_overdue_invoices"] = f"""
SELECT i.organization_id, {sql.org_columns()}, i.invoice_id, i.invoice_number, i.customer_id, i.customer_name,
  i.date AS invoice_date, i.due_date, DATE_DIFF(CURRENT_DATE(), i.due_date, DAY) AS days_overdue, i.currency_code,
  i.exchange_rate, i.total, i.balance AS open_balance, {sql.base('invoices', 'i', 'balance')} AS open_balance_base
FROM {table('invoices_current')} AS i{sql.org_join('i')}
WHERE i.status NOT IN ('void', 'draft') AND i.balance > 0 AND i.due_date < CURRENT_DATE()"""
    if {"invoices", "customer_payments"} <= columns.keys():
        views["finance_invoice_payments"] = f"""
WITH applied AS (
  SELECT p.organization_id, a.invoice_id, p.payment_id, p.payment_number, p.date AS payment_date, a.amount_applied
  FROM {table('customer_payments_current')} AS p CROSS JOIN UNNEST(p.invoices) AS a
), timeline AS (
  SELECT i.organization_id, {sql.org_columns()}, i.invoice_id, i.invoice_number, i.customer_name,
    i.currency_code, i.date AS invoice_date, i.total AS invoice_total, ap.payment_id, ap.payment_number,
    ap.payment_date, ap.amount_applied, DATE_DIFF(ap.payment_date, i.date, DAY) AS days_to_payment,
    SUM(ap.amount_applied) OVER (PARTITION BY i.organization_id, i.invoice_id
      ORDER BY ap.payment_date, ap.payment_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS paid_to_date
  FROM {table('invoices_current')} AS i
  JOIN applied AS ap ON ap.organization_id = i.organization_id AND ap.invoice_id = i.invoice_id{sql.org_join('i')}
)
SELECT *, MIN(IF(paid_to_date >= invoice_total, payment_date, NULL))
    OVER (PARTITION BY organization_id, invoice_id) AS fully_paid_on,
  DATE_DIFF(MIN(IF(paid_to_date >= invoice_total, payment_date, NULL))
    OVER (PARTITION BY organization_id, invoice_id), invoice_date, DAY) AS days_to_full_payment
FROM timeline"""
    documents = _documents_sql(sql)
    if documents:
        views["finance_documents"] = documents
        views["finance_totals_by_organization"] = f"""
SELECT organization_id, organization_name, base_currency_code, document_type, currency_code, COUNT(*) AS documents,
  SUM(total) AS total, SUM(total_base) AS total_base, SUM(balance) AS balance, SUM(balance_base) AS balance_base
FROM {table('finance_documents')}
GROUP BY organization_id, organization_name, base_currency_code, document_type, currency_code"""
    return {name: f"CREATE OR REPLACE VIEW {table(name)} AS{sql_text}" if sql_text.startswith("\n")
            else f"CREATE OR REPLACE VIEW {table(name)} AS\n{sql_text}" for name, sql_text in views.items()}
