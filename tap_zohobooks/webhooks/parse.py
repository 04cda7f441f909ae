"""Turn one webhook delivery into an event: entity, event type, organization, version, event id.

Zoho Books sends the document under its singular key (`{"invoice": {...}}`) and no event envelope
(zoho-books-api.md §4.3). The event type comes from a query parameter set in the webhook URL
(`?event=invoice.updated`, configurable name) when present, else it is inferred from the payload
(created when `created_time` equals `last_modified_time`, else updated; a deletion can only be told by
the parameter). The event id is the same one a poll of the same version gets (events.event_id).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import simplejson

from ..events import event_id, parse_instant, utc_text
from .spool import SpooledEvent, stored_time

# payload key or event prefix → (entity, id field)
ENTITIES = {
    "invoice": ("invoice", "invoice_id"),
    "bill": ("bill", "bill_id"),
    "purchaseorder": ("purchaseorder", "purchaseorder_id"),
    "purchase_order": ("purchaseorder", "purchaseorder_id"),
    "payment": ("customer_payment", "payment_id"),
    "customerpayment": ("customer_payment", "payment_id"),
    "customer_payment": ("customer_payment", "payment_id"),
    "vendorpayment": ("vendor_payment", "payment_id"),
    "vendor_payment": ("vendor_payment", "payment_id"),
}


@dataclass
class Rejection(Exception):
    status: int
    message: str


def _document(body: dict) -> tuple[str, str, dict]:
    """(entity, id field, document) from a default payload, or a bare document."""
    wrapped = [(k, v) for k, v in body.items() if k in ENTITIES and isinstance(v, dict)]
    if len(wrapped) == 1:
        key, doc = wrapped[0]
        return (*ENTITIES[key], doc)
    for entity, id_field in ENTITIES.values():
        if id_field in body and id_field != "payment_id":
            return entity, id_field, body
    if "payment_id" in body:
        return ("vendor_payment" if "vendor_id" in body else "customer_payment"), "payment_id", body
    raise Rejection(422, "unknown entity: expected an invoice, bill, purchase order or payment")


def parse_delivery(raw: bytes, query: dict[str, str], received_at: dt.datetime, *,
                   event_param: str = "event", default_organization_id: str | None = None) -> SpooledEvent:
    try:
        body = simplejson.loads(raw, use_decimal=True)
    except (ValueError, UnicodeDecodeError):
        raise Rejection(400, "malformed JSON body") from None
    if not isinstance(body, dict):
        raise Rejection(400, "the body must be a JSON object")
    entity, id_field, doc = _document(body)
    event_type = query.get(event_param, "")
    if event_type:
        prefix, _, action = event_type.partition(".")
        if ENTITIES.get(prefix, (None,))[0] != entity or not action:
            raise Rejection(422, f"event {event_type!r} does not match the payload's entity {entity!r}")
    doc_id = doc.get(id_field)
    if not doc_id:
        raise Rejection(422, f"the {entity} has no {id_field}")
    changed = doc.get("last_modified_time") or doc.get("created_time")
    if not changed:
        raise Rejection(422, f"the {entity} has neither last_modified_time nor created_time")
    try:
        version = utc_text(parse_instant(str(changed)))
    except ValueError:
        raise Rejection(422, f"last_modified_time {changed!r} is not a timestamp") from None
    if not event_type:
        created = doc.get("created_time")
        event_type = f"{entity}.{'created' if created and created == doc.get('last_modified_time') else 'updated'}"
    operation = "delete" if event_type.endswith(".deleted") else "upsert"
    org = query.get("organization_id") or str(body.get("organization_id") or doc.get("organization_id") or "") \
        or default_organization_id
    if not org:
        raise Rejection(422, "organization unknown: add ?organization_id=... to the webhook URL "
                             "or set webhook_organization_id")
    return SpooledEvent(
        event_id=event_id(org, entity, str(doc_id), version, operation),
        received_at=stored_time(received_at.isoformat()),
        organization_id=org, entity=entity, event_type=event_type, operation=operation,
        document_id=str(doc_id), last_modified_time=version, payload=doc)
