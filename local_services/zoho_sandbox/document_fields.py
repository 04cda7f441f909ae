"""The rest of Zoho Books' documented fields, with the values a plain organization shows for them.

The builders in documents.py set what the sandbox's behaviour depends on (numbers, dates, totals,
balances, statuses); this module fills in every other documented field, so a sandbox document has
the full shape of a real one (docs/fields.md lists where the field sets come from). Values are the
ones Zoho shows when a feature is unused: empty strings, zeros, false, empty arrays.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

ZERO = Decimal("0")
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "C$", "CHF": "CHF", "INR": "₹", "AUD": "$",
           "JPY": "¥", "CNY": "¥", "SAR": "SAR"}
CURRENCY_NAMES = {"USD": "US Dollar", "EUR": "Euro", "GBP": "Pound Sterling", "CAD": "Canadian Dollar",
                  "CHF": "Swiss Franc"}
ADMIN_ID = "982000000000101"  # the organization admin who created the documents


def custom_field(index: int, label: str, value: str) -> dict[str, Any]:
    """One custom field as Zoho returns it in a document's `custom_fields` array."""
    api_name = "cf_" + label.lower().replace(" ", "_")
    return {"customfield_id": f"4600000001284{index + 4}", "field_id": f"4600000001284{index + 4}",
            "index": index, "label": label, "api_name": api_name, "data_type": "string",
            "placeholder": api_name, "value": value, "value_formatted": value, "is_active": True,
            "show_on_pdf": False, "show_in_all_pdf": False, "show_in_portal": False, "show_in_store": False,
            "edit_on_portal": False, "edit_on_store": False, "search_entity": "", "is_dependent_field": False}


def line_extras() -> dict[str, Any]:
    """Line-item fields beyond name, rate, quantity and tax (item types, projects...)."""
    return {"sku": "", "item_type": "sales_and_purchases", "product_type": "goods", "discount_amount": ZERO, "tax_type": "tax", "tax_exemption_id": "", "tax_exemption_code": "",
            "tds_tax_id": "", "project_id": "", "project_name": "", "location_id": "", "location_name": "",
            "hsn_or_sac": "", "pricebook_id": "", "header_id": "", "header_name": "",
            "item_custom_fields": []}


def complete(doc: dict, extras: dict[str, Any]) -> None:
    """Add the fields a builder did not set (the builder's values win)."""
    for key, value in extras.items():
        doc.setdefault(key, value)


def _common(doc: dict, contact: dict) -> dict[str, Any]:
    code = doc["currency_code"]
    custom = doc.get("custom_fields") or []
    return {
        "currency_symbol": SYMBOLS.get(code, code), "currency_name_formatted": f"{code}- {CURRENCY_NAMES.get(code, code)}",
        "documents": [], "tags": [], "location_id": "", "location_name": "", "color_code": "",
        "current_sub_status_id": "", "current_sub_status": doc.get("status", ""),
        "template_id": "460000000000111", "template_name": "Standard Template", "template_type": "standard",
        "page_width": "8.27in", "page_height": "11.69in", "orientation": "portrait",
        "created_by_id": ADMIN_ID, "last_modified_by_id": ADMIN_ID, "attachment_name": "",
        "can_send_in_mail": True, "custom_field_hash": {f["api_name"]: f["value"] for f in custom},
        "contact_persons": [contact.get("contact_person_id", "")],
        "contact_persons_details": [{"contact_person_id": contact.get("contact_person_id", ""), "salutation": "",
                                     "first_name": "Accounts", "last_name": "Payable", "email": contact.get("email", ""),
                                     "phone": "", "mobile": "", "is_primary_contact": True}],
        "is_inclusive_tax": False, "price_precision": 2, "is_discount_before_tax": True,
        "discount_type": "entity_level", "discount_amount": ZERO, "discount_applied_on_amount": ZERO,
        "discount_account_id": "", "discount_account_name": "", "adjustment": ZERO,
        "adjustment_description": "Adjustment", "sub_total_inclusive_of_tax": ZERO, "tax_rounding": "entity_level",
        "submitted_date": "", "submitted_by": "", "submitted_by_name": "", "submitter_id": "", "approver_id": "",
        "subject_content": "", "is_reverse_charge_applied": False,
    }


def invoice_extras(doc: dict, contact: dict) -> dict[str, Any]:
    return {
        **_common(doc, contact),
        "company_name": contact["contact_name"], "email": contact.get("email", ""), "phone": "",
        "country": contact["country"], "zcrm_potential_id": "", "zcrm_potential_name": "", "project_name": "",
        "created_by": "Sandbox Admin", "transaction_type": "invoice", "invoice_source": "",
        "recurring_invoice_id": "", "estimate_id": "", "salesorder_id": "", "salesorder_number": "",
        "pricebook_id": "", "pricebook_name": "", "payment_reminder_enabled": True, "is_viewed_in_mail": False,
        "mail_first_viewed_time": "", "mail_last_viewed_time": "", "is_autobill_enabled": False,
        "inprocess_transaction_present": False, "allow_partial_payments": True, "discount_total": ZERO,
        "discount_percent": ZERO, "tax_override_preference": "", "tds_override_preference": "",
        "shipping_charge_tax_id": "", "shipping_charge_tax_name": "", "shipping_charge_tax_type": "",
        "shipping_charge_tax_percentage": "", "shipping_charge_tax": ZERO,
        "shipping_charge_exclusive_of_tax": ZERO, "shipping_charge_inclusive_of_tax": ZERO,
        "bcy_shipping_charge_tax": ZERO, "roundoff_value": ZERO, "transaction_rounding_type": "no_rounding",
        "reverse_charge_tax_total": ZERO, "tds_calculation_type": "tds_item_level", "contact_category": "",
        "payment_discount": ZERO, "stop_reminder_until_payment_expected_date": False, "ach_supported": False,
        "unused_retainer_payments": ZERO, "tax_amount_withheld": ZERO, "created_date": doc["date"],
        "next_reminder_date_formatted": "", "is_client_review_settings_enabled": False,
        "reference_invoice_id": "", "reason_for_debit_note": "", "can_send_invoice_sms": False,
        "no_of_copies": 1, "show_no_of_copies": True, "billing_address_id": contact.get("address_id", ""),
        "shipping_address_id": contact.get("address_id", ""),
        "customer_default_billing_address": dict(doc["billing_address"]),
        "payment_options": {"payment_gateways": []},
    }


def bill_extras(doc: dict, contact: dict) -> dict[str, Any]:
    return {
        **_common(doc, contact),
        "vendor_credits": [], "purchaseorders": [], "source": "user",
        "contact_category": "", "unused_credits_payable_amount": ZERO, "discount_setting": "no_discount",
        "tds_calculation_type": "tds_item_level", "payment_expected_date": "", "recurring_bill_id": "",
        "is_viewed_by_client": False, "client_viewed_time": "", "is_item_level_tax_calc": False,
        "track_discount_in_account": False, "discount": ZERO, "vendor_credits_applied": ZERO,
        "is_line_item_invoiced": False, "tax_override_preference": "", "tds_override_preference": "",
        "tds_total": ZERO, "unprocessed_payment_amount": ZERO, "reference_id": "", "terms": "",
        "open_purchaseorders_count": 0, "is_approval_required": False, "entity_type": "bill",
        "is_abn_quoted": False, "filed_in_vat_return_id": "", "filed_in_vat_return_name": "",
        "filed_in_vat_return_type": "",
    }


def purchaseorder_extras(doc: dict, contact: dict) -> dict[str, Any]:
    status = doc["status"]
    return {
        **_common(doc, contact),
        "bills": [], "order_status": status,
        "billed_status": "billed" if status == "billed" else "", "received_status": "",
        "expected_delivery_date": doc["delivery_date"], "pickup_location_id": "", "source": "user",
        "pricebook_id": "", "pricebook_name": "", "crm_owner_id": "", "discount": ZERO, "is_emailed": False,
        "has_attachment": False, "total_invoiced_amount": ZERO, "acquisition_vat_total": ZERO,
        "reverse_charge_vat_total": ZERO, "ship_via": "", "ship_via_id": "", "attention": "",
        "delivery_org_address_id": "", "delivery_customer_id": "", "can_mark_as_bill": status == "open",
        "can_mark_as_unbill": status == "billed", "is_drop_shipment": False,
        "payment_terms": contact["payment_terms"], "payment_terms_label": f"Net {contact['payment_terms']}",
    }


def payment_extras(doc: dict, customer: bool) -> dict[str, Any]:
    custom = doc.get("custom_fields") or []
    common = {"documents": [], "tags": [], "location_id": "", "location_name": "",
              "currency_symbol": SYMBOLS.get(doc["currency_code"], doc["currency_code"]),
              "custom_field_hash": {f["api_name"]: f["value"] for f in custom}, "has_attachment": False,
              "created_by_id": ADMIN_ID, "last_modified_by_id": ADMIN_ID, "price_precision": 2,
              "tax_account_id": "", "tax_account_name": "", "tax_amount_withheld": ZERO,
              "payment_number_prefix": "", "payment_number_suffix": ""}
    if customer:
        return {**common, "status": "success", "email": "", "amount_refunded": ZERO, "online_transaction_id": "",
                "last_four_digits": "", "is_client_review_settings_enabled": False,
                "is_payment_details_required": True, "retainerinvoice_id": "", "payment_type": "invoice_payment",
                "product_description": "", "settlement_status": "", "bcy_bank_charges": ZERO,
                "bcy_refunded_amount": ZERO, "payment_refunds": []}
    return {**common, "status": "paid", "is_paid_via_print_check": False,
            "check_details": {"check_number": "", "memo": "", "amount_in_words": ""},
            "is_ach_payment": False, "ach_payment_status": "", "vendor_credits": []}
