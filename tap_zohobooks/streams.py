"""The five Books document streams (paths and keys from zoho-books-api.md §2.2)."""

from __future__ import annotations

from .client import ZohoDocumentStream


class InvoicesStream(ZohoDocumentStream):
    name = "invoices"
    entity_path, list_key, detail_key = "invoices", "invoices", "invoice"
    id_field, event_entity = "invoice_id", "invoice"


class BillsStream(ZohoDocumentStream):
    name = "bills"
    entity_path, list_key, detail_key = "bills", "bills", "bill"
    id_field, event_entity = "bill_id", "bill"


class PurchaseOrdersStream(ZohoDocumentStream):
    name = "purchase_orders"
    entity_path, list_key, detail_key = "purchaseorders", "purchaseorders", "purchaseorder"
    id_field, event_entity = "purchaseorder_id", "purchaseorder"


class CustomerPaymentsStream(ZohoDocumentStream):
    name = "customer_payments"
    entity_path, list_key, detail_key = "customerpayments", "customerpayments", "payment"
    id_field, event_entity = "payment_id", "customer_payment"


class VendorPaymentsStream(ZohoDocumentStream):
    name = "vendor_payments"
    entity_path, list_key, detail_key = "vendorpayments", "vendorpayments", "vendorpayment"
    id_field, event_entity = "payment_id", "vendor_payment"


DOCUMENT_STREAMS = [InvoicesStream, BillsStream, PurchaseOrdersStream, CustomerPaymentsStream, VendorPaymentsStream]
