"""The five Books document streams (paths and keys of the Books v3 API), and the organizations stream."""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from singer_sdk.streams import Stream

from .api import QuotaExhausted
from .client import ZohoDocumentStream, load_schema
from .conform import conform
from .events import event_id, version_token


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


class OrganizationsStream(Stream):
    """The organizations the token can see (GET /organizations): names, base currencies, time zones.

    A small full-table stream, so finance views can name each organization and its base currency.
    An organization has no modification time; each version is identified by its content, and a
    version already emitted (its id is kept in state) is not emitted again.
    """

    name = "organizations"
    primary_keys = ["organization_id"]
    replication_key = None

    def __init__(self, tap) -> None:
        super().__init__(tap, schema=load_schema(self.name))

    def get_records(self, context: dict | None) -> Iterable[dict[str, Any]]:
        if self.config.get("mode", "poll") != "poll":
            return
        wanted = set(self._tap.organization_ids)
        arrival = dt.datetime.now(dt.timezone.utc).isoformat()
        try:
            orgs = self._tap.api.organizations()
        except QuotaExhausted as exc:  # stop cleanly, as the document streams do
            self.logger.warning("Skipping organizations: %s", exc)
            return
        for org in orgs:
            org_id = str(org["organization_id"])
            if org_id not in wanted:
                continue
            emitted = self.get_context_state(None).setdefault("emitted_versions", {})
            source_event_id = event_id(org_id, "organization", org_id, version_token(org), "upsert")
            if emitted.get(org_id) == source_event_id:
                continue
            emitted[org_id] = source_event_id
            record = {k: conform(org[k], sub) for k, sub in self.schema["properties"].items()
                      if k in org and not k.startswith("_")}
            record.update({
                "organization_id": org_id,
                "_source_event_id": source_event_id,
                "_source": "poll", "_operation": "upsert", "_arrival_ts": arrival, "_raw": org,
            })
            yield record
