"""The five Books document types: paths, keys, list-item fields, and how totals follow from lines.

Field sets follow Zoho's API reference (docs/fields.md) (list items carry no line items; the
detail does). Money is always Decimal here and is written to JSON as a number with its exact digits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Entity:
    path: str  # /books/v3/<path>
    list_key: str
    detail_key: str
    id_field: str
    number_field: str
    webhook_entity: str  # event prefix: invoice.created, bill.updated, ...
    label: str  # "Invoice does not exist."
    list_fields: tuple[str, ...]


INVOICE_LIST_FIELDS = (
    "invoice_id", "ach_payment_initiated", "customer_name", "customer_id", "status", "invoice_number",
    "reference_number", "date", "due_date", "due_days", "currency_id", "schedule_time", "currency_code",
    "is_viewed_by_client", "has_attachment", "client_viewed_time", "total", "balance", "created_time",
    "last_modified_time", "is_emailed", "reminders_sent", "last_reminder_sent_date",
    "payment_expected_date", "last_payment_date", "custom_fields", "documents", "salesperson_id",
    "salesperson_name", "shipping_charge", "adjustment", "write_off_amount", "exchange_rate",
    # seen in real list rows by other connectors (zoho-books-api.md §2.4)
    "company_name", "color_code", "current_sub_status_id", "current_sub_status", "email", "currency_symbol",
    "template_type", "template_id", "invoice_url", "project_name", "country", "phone", "created_by",
    "transaction_type", "is_viewed_in_mail", "mail_first_viewed_time", "mail_last_viewed_time",
    "custom_field_hash", "zcrm_potential_id", "zcrm_potential_name", "billing_address", "shipping_address",
    "location_id", "location_name",
)
BILL_LIST_FIELDS = (
    "bill_id", "vendor_id", "vendor_name", "status", "bill_number", "reference_number", "date",
    "due_date", "due_days", "currency_id", "currency_code", "price_precision", "exchange_rate", "total",
    "balance", "created_time", "last_modified_time", "attachment_name", "has_attachment",
    "is_tds_applied", "color_code", "current_sub_status_id", "current_sub_status", "tds_total",
    "unprocessed_payment_amount", "location_id", "location_name",
)
PO_LIST_FIELDS = (
    "purchaseorder_id", "vendor_id", "vendor_name", "status", "purchaseorder_number",
    "reference_number", "date", "delivery_date", "currency_id", "currency_code", "exchange_rate",
    "total", "created_time", "last_modified_time", "currency_symbol", "price_precision", "order_status",
    "billed_status", "received_status", "expected_delivery_date", "has_attachment", "is_emailed",
    "color_code", "current_sub_status_id", "current_sub_status", "is_drop_shipment", "location_id",
    "location_name",
)
CUSTOMER_PAYMENT_LIST_FIELDS = (
    "payment_id", "payment_number", "invoice_numbers", "date", "payment_mode", "amount", "bcy_amount",
    "unused_amount", "bcy_unused_amount", "account_id", "account_name", "description",
    "reference_number", "customer_id", "customer_name", "currency_code", "exchange_rate",
    "created_time", "last_modified_time", "currency_id", "has_attachment", "payment_type",
    "location_id", "location_name",
)
VENDOR_PAYMENT_LIST_FIELDS = (
    "payment_id", "vendor_id", "vendor_name", "date", "payment_mode", "amount", "balance",
    "exchange_rate", "paid_through_account_id", "paid_through_account_name", "description",
    "reference_number", "currency_code", "created_time", "last_modified_time", "payment_number",
    "currency_id", "has_attachment", "status", "location_id", "location_name",
)

ENTITIES: dict[str, Entity] = {
    e.path: e
    for e in (
        Entity("invoices", "invoices", "invoice", "invoice_id", "invoice_number", "invoice",
               "Invoice", INVOICE_LIST_FIELDS),
        Entity("bills", "bills", "bill", "bill_id", "bill_number", "bill", "Bill", BILL_LIST_FIELDS),
        Entity("purchaseorders", "purchaseorders", "purchaseorder", "purchaseorder_id",
               "purchaseorder_number", "purchaseorder", "Purchase order", PO_LIST_FIELDS),
        Entity("customerpayments", "customerpayments", "payment", "payment_id", "payment_number",
               "customer_payment", "Payment", CUSTOMER_PAYMENT_LIST_FIELDS),
        Entity("vendorpayments", "vendorpayments", "vendorpayment", "payment_id", "payment_number",
               "vendor_payment", "Vendor payment", VENDOR_PAYMENT_LIST_FIELDS),
    )
}

CENT = Decimal("0.01")
# Base-currency twins of document amounts (invoices and bills carry them in their detail).
BASE_AMOUNTS = ("bcy_sub_total", "bcy_tax_total", "bcy_total", "bcy_adjustment", "bcy_shipping_charge",
                "bcy_discount_total")


def money(value: Decimal | int | str) -> Decimal:
    """Round half-up to cents, as Zoho does for line totals and taxes."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def zoho_time(instant: dt.datetime, tz: dt.tzinfo) -> str:
    """Zoho's timestamp format: org time zone, ±HHMM offset without a colon."""
    return instant.astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S%z")


def parse_zoho_time(text: str) -> dt.datetime:
    """Accepts Zoho's `2013-11-18T02:17:40-0800` and ISO forms with a colon or Z."""
    text = text.strip().replace("Z", "+00:00").replace(" ", "+")
    return dt.datetime.fromisoformat(text) if ":" in text[-6:] else dt.datetime.strptime(
        text, "%Y-%m-%dT%H:%M:%S%z"
    )


def apply_line_totals(doc: dict, tax_name: str, tax_percent: Decimal) -> None:
    """Recompute item totals, taxes and the document total from its line items.

    Base-currency amounts (`bcy_*`, in the organization's currency) follow at the document's
    exchange rate, each rounded half-up to cents, for the documents that carry them.
    """
    rate = Decimal(doc.get("exchange_rate", 1))
    sub_total = Decimal("0")
    for line in doc.get("line_items", []):
        line["item_total"] = money(Decimal(line["rate"]) * Decimal(line["quantity"]))
        line["bcy_rate"] = money(Decimal(line["rate"]) * rate)
        line["tax_name"] = tax_name if tax_percent else ""
        line["tax_percentage"] = tax_percent
        sub_total += line["item_total"]
    tax_total = money(sub_total * tax_percent / 100)
    tax_id = next((line.get("tax_id", "") for line in doc.get("line_items", [])), "")
    doc["sub_total"] = money(sub_total)
    doc["tax_total"] = tax_total
    doc["taxes"] = [{"tax_id": tax_id, "tax_name": tax_name, "tax_percentage": tax_percent,
                     "tax_amount": tax_total}] if tax_percent else []
    doc["total"] = money(sub_total + tax_total + doc.get("adjustment", 0) + doc.get("shipping_charge", 0))
    if "sub_total_inclusive_of_tax" in doc:
        doc["sub_total_inclusive_of_tax"] = money(sub_total + tax_total)
    if "bcy_total" in doc:
        for field in BASE_AMOUNTS:
            if field.removeprefix("bcy_") in doc:
                doc[field] = money(Decimal(doc[field.removeprefix("bcy_")]) * rate)


def due_days(due: dt.date, today: dt.date) -> str:
    delta = (due - today).days
    if delta >= 0:
        return f"Due in {delta} day(s)"
    return f"Overdue by {-delta} day(s)"


def receivable_status(doc: dict, today: dt.date) -> str:
    """Status of an invoice or bill from its balance and due date (void and draft stay as set)."""
    if doc["status"] in ("void", "draft"):
        return doc["status"]
    if doc["balance"] <= 0:
        return "paid"
    if dt.date.fromisoformat(doc["due_date"]) < today:
        return "overdue"
    if doc["balance"] < doc["total"]:
        return "partially_paid"
    return "sent" if "invoice_id" in doc else "open"
