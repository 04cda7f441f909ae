"""Builders that turn a few given fields into a complete Zoho Books detail document.

Used by the seeded generator and by the create/edit endpoints, so both produce the same shapes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from .document_fields import (
    ZERO, bill_extras, complete, custom_field, invoice_extras, line_extras, payment_extras, purchaseorder_extras,
)
from .entities import BASE_AMOUNTS, apply_line_totals, due_days, money, receivable_status, zoho_time

from .organization import Org

ADDRESS = {
    "address_id": "", "attention": "", "address": "", "street2": "", "city": "", "state": "", "state_code": "",
    "zip": "", "country": "", "fax": "", "phone": "",
}


def _address(contact: dict) -> dict:
    return {**ADDRESS, "address_id": contact.get("address_id", ""), "address": contact["street"],
            "city": contact["city"], "zip": contact["zip"], "country": contact["country"]}


def _lines(org: Org, raw_lines: list[dict], prefix: str) -> list[dict]:
    lines = []
    for i, raw in enumerate(raw_lines):
        by_name = [it for it in org.items if it["name"] == raw.get("name")]
        item = by_name[0] if by_name else (org.items[i % len(org.items)] if "name" not in raw else None)
        lines.append({
            "line_item_id": raw.get("line_item_id") or org.new_id(),
            "item_id": raw.get("item_id") or (item["item_id"] if item else ""),
            "name": raw.get("name") or item["name"],
            "description": raw.get("description", ""),
            "item_order": i + 1,
            "rate": Decimal(str(raw.get("rate", item["rate"] if item else "0"))),
            "quantity": Decimal(str(raw.get("quantity", "1"))),
            "unit": raw.get("unit", "pcs"),
            "discount": Decimal("0"),
            "tax_id": org.tax_id if org.tax_percent else "",
            "tags": [],
            **line_extras(),
            **({"account_id": org.expense_account_id, "account_name": "Cost of Goods Sold"}
               if prefix != "invoice" else {"account_id": f"{org.id_prefix}9000000001", "account_name": "Sales",
                                            "time_entry_ids": [], "expense_id": "", "salesorder_item_id": ""}),
            **({"purchaseorder_item_id": "", "is_billable": False, "customer_id": "", "customer_name": "",
                "invoice_id": "", "invoice_number": "", "reverse_charge_tax_id": ""} if prefix == "bill" else {}),
            **({"quantity_billed": ZERO, "quantity_cancelled": ZERO, "salesorder_item_id": ""}
               if prefix == "purchaseorder" else {}),
        })
    return lines


def _currency(org: Org, contact: dict) -> dict:
    code = contact["currency_code"]
    return {"currency_id": org.currency_ids[code], "currency_code": code,
            "exchange_rate": org.exchange_rates[code]}


def _custom_fields(fields: dict) -> list[dict]:
    value = fields.get("cost_center")
    if not value:
        return []
    return [custom_field(1, "Cost Center", value)]


def build_invoice(org: Org, fields: dict[str, Any], created: dt.datetime, today: dt.date) -> dict:
    customer = org.contact(fields.get("customer_id"), "customer")
    date = fields.get("date") or created.astimezone(org.tz).date().isoformat()
    terms = int(fields.get("payment_terms", customer["payment_terms"]))
    due = fields.get("due_date") or (dt.date.fromisoformat(date) + dt.timedelta(days=terms)).isoformat()
    doc: dict[str, Any] = {
        "invoice_id": fields.get("invoice_id") or org.new_id(),
        "invoice_number": fields.get("invoice_number") or org.next_number("invoices", "INV-"),
        "ach_payment_initiated": False, "status": fields.get("status", "sent"),
        "customer_id": customer["contact_id"], "customer_name": customer["contact_name"],
        **_currency(org, customer),
        "reference_number": fields.get("reference_number", " "),
        "date": date, "due_date": due, "payment_terms": terms,
        "payment_terms_label": f"Net {terms}", "schedule_time": "",
        "is_viewed_by_client": False, "has_attachment": False, "client_viewed_time": "",
        "line_items": _lines(org, fields.get("line_items") or [{}], "invoice"),
        "shipping_charge": Decimal("0"), "adjustment": Decimal("0"),
        "write_off_amount": Decimal("0"), "discount": Decimal("0"), "is_inclusive_tax": False,
        "price_precision": 2, "payment_made": Decimal("0"), "credits_applied": Decimal("0"),
        "payments": [], "is_emailed": fields.get("status", "sent") != "draft",
        "reminders_sent": 0, "last_reminder_sent_date": " ", "payment_expected_date": " ",
        "last_payment_date": " ", "custom_fields": _custom_fields(fields), "documents": "",
        "salesperson_id": " ", "salesperson_name": " ",
        "billing_address": _address(customer), "shipping_address": _address(customer),
        "notes": "Thanks for your business.", "terms": "",
        "created_time": zoho_time(created, org.tz), "last_modified_time": zoho_time(created, org.tz),
    }
    doc["invoice_url"] = f"https://books.zoho.com/portal/secure?CInvoiceID={doc['invoice_id']}"
    doc["template_id"] = "460000000000111"
    complete(doc, {**invoice_extras(doc, customer), **dict.fromkeys(BASE_AMOUNTS, ZERO)})
    apply_line_totals(doc, org.tax_name, org.tax_percent)
    doc["balance"] = doc["total"] if doc["status"] not in ("void", "draft") else Decimal("0")
    refresh_receivable(doc, today)
    return doc


def build_bill(org: Org, fields: dict[str, Any], created: dt.datetime, today: dt.date) -> dict:
    vendor = org.contact(fields.get("vendor_id"), "vendor")
    date = fields.get("date") or created.astimezone(org.tz).date().isoformat()
    due = fields.get("due_date") or (
        dt.date.fromisoformat(date) + dt.timedelta(days=vendor["payment_terms"])).isoformat()
    doc: dict[str, Any] = {
        "bill_id": fields.get("bill_id") or org.new_id(),
        "bill_number": fields.get("bill_number") or org.next_number("bills", "BL-"),
        "vendor_id": vendor["contact_id"], "vendor_name": vendor["contact_name"],
        "status": fields.get("status", "open"), **_currency(org, vendor),
        "reference_number": fields.get("reference_number", ""), "date": date, "due_date": due,
        "price_precision": 2, "line_items": _lines(org, fields.get("line_items") or [{}], "bill"),
        "payment_made": Decimal("0"), "payments": [], "purchaseorder_ids": [],
        "attachment_name": "", "has_attachment": False, "is_tds_applied": False,
        "custom_fields": _custom_fields(fields), "notes": "", "billing_address": _address(vendor),
        "payment_terms": vendor["payment_terms"], "payment_terms_label": f"Net {vendor['payment_terms']}",
        "due_by_days": (dt.date.fromisoformat(due) - dt.date.fromisoformat(date)).days,
        "due_in_days": str((dt.date.fromisoformat(due) - dt.date.fromisoformat(date)).days),
        "created_time": zoho_time(created, org.tz), "last_modified_time": zoho_time(created, org.tz),
    }
    complete(doc, {**bill_extras(doc, vendor), **dict.fromkeys(
        ("bcy_sub_total", "bcy_tax_total", "bcy_total", "bcy_adjustment"), ZERO)})
    apply_line_totals(doc, org.tax_name, org.tax_percent)
    doc["balance"] = doc["total"] if doc["status"] != "void" else Decimal("0")
    refresh_receivable(doc, today)
    return doc


def build_purchaseorder(org: Org, fields: dict[str, Any], created: dt.datetime, today: dt.date) -> dict:
    vendor = org.contact(fields.get("vendor_id"), "vendor")
    date = fields.get("date") or created.astimezone(org.tz).date().isoformat()
    doc: dict[str, Any] = {
        "purchaseorder_id": fields.get("purchaseorder_id") or org.new_id(),
        "purchaseorder_number": fields.get("purchaseorder_number") or org.next_number("purchaseorders", "PO-"),
        "vendor_id": vendor["contact_id"], "vendor_name": vendor["contact_name"],
        "status": fields.get("status", "open"), **_currency(org, vendor),
        "reference_number": fields.get("reference_number", ""), "date": date,
        "delivery_date": fields.get("delivery_date")
        or (dt.date.fromisoformat(date) + dt.timedelta(days=14)).isoformat(),
        "line_items": _lines(org, fields.get("line_items") or [{}], "purchaseorder"),
        "delivery_address": {**_address(org.address), "email": "", "organization_address_id": "",
                             "is_valid": True},
        "billing_address": _address(org.address), "custom_fields": _custom_fields(fields),
        "notes": "", "terms": "", "price_precision": 2, "sub_total": ZERO, "tax_total": ZERO,
        "created_time": zoho_time(created, org.tz), "last_modified_time": zoho_time(created, org.tz),
    }
    complete(doc, purchaseorder_extras(doc, vendor))
    apply_line_totals(doc, org.tax_name, org.tax_percent)
    return doc


def build_payment(org: Org, entity: str, fields: dict[str, Any], created: dt.datetime) -> dict:
    """Customer payment (applied to invoices) or vendor payment (applied to bills)."""
    customer = entity == "customerpayments"
    contact = org.contact(fields.get("customer_id" if customer else "vendor_id"),
                          "customer" if customer else "vendor")
    cur = _currency(org, contact)
    amount = money(fields["amount"])
    applied = [_applied_row(org, entity, a) for a in fields.get("applied", [])]
    unused = money(amount - sum((a["amount_applied"] for a in applied), Decimal("0")))
    date = fields.get("date") or created.astimezone(org.tz).date().isoformat()
    doc: dict[str, Any] = {
        "payment_id": fields.get("payment_id") or org.new_id(),
        "payment_number": fields.get("payment_number") or org.next_number(entity, ""),
        "date": date, "payment_mode": fields.get("payment_mode", "Bank Transfer"),
        "amount": amount, **cur, "reference_number": fields.get("reference_number", ""),
        "description": fields.get("description", ""),
        "created_time": zoho_time(created, org.tz), "last_modified_time": zoho_time(created, org.tz),
        "custom_fields": _custom_fields(fields),
    }
    if customer:
        doc.update({
            "customer_id": contact["contact_id"], "customer_name": contact["contact_name"],
            "bcy_amount": money(amount * cur["exchange_rate"]), "unused_amount": unused,
            "bcy_unused_amount": money(unused * cur["exchange_rate"]), "bank_charges": Decimal("0"),
            "account_id": org.bank_account_id, "account_name": "Business Checking",
            "invoices": applied, "invoice_numbers": ",".join(a["invoice_number"] for a in applied),
        })
    else:
        doc.update({
            "vendor_id": contact["contact_id"], "vendor_name": contact["contact_name"],
            "balance": unused, "paid_through_account_id": org.bank_account_id,
            "paid_through_account_name": "Business Checking", "bills": applied,
        })
    complete(doc, payment_extras(doc, customer))
    return doc


def _applied_row(org: Org, entity: str, row: dict) -> dict:
    """One invoice (or bill) a payment is applied to, with the fields Zoho shows for it."""
    key = "invoice" if entity == "customerpayments" else "bill"
    target = org.docs["invoices" if key == "invoice" else "bills"].get(row.get(f"{key}_id", ""))
    due = target.doc.get("due_date", "") if target else ""
    extra = {f"{key}_payment_id": row.get(f"{key}_payment_id") or org.new_id(), "due_date": due,
             "total": row.get(f"{key}_amount", ZERO), "balance": row.get("balance_amount", ZERO),
             "tax_amount_withheld": ZERO, "price_precision": 2}
    if key == "invoice":
        extra["discount_amount"] = ZERO
    return {**row, **extra}


def refresh_receivable(doc: dict, today: dt.date) -> None:
    """Keep status and due_days consistent with balance and date (invoices and bills)."""
    doc["status"] = receivable_status(doc, today)
    doc["due_days"] = "" if doc["status"] in ("paid", "void") else due_days(
        dt.date.fromisoformat(doc["due_date"]), today)


BUILDERS = {"invoices": build_invoice, "bills": build_bill, "purchaseorders": build_purchaseorder}
