"""Turn one webhook delivery into an event: entity, event type, organization, version, event id.

Zoho Books sends the document under its singular key (`{"invoice": {...}}`) and no event envelope
(zoho-books-api.md §4.3). When the scheme signs the query string, the event type comes from a query
parameter set in the webhook URL (`?event=invoice.updated`, configurable name) and the organization
from `?organization_id=`. Otherwise nothing is taken from the (unsigned) query string: the organization
comes from the body or `webhook_organization_id`, the event type is inferred from the payload (created
when `created_time` equals `last_modified_time`, else updated), and a deletion cannot be signalled.
The event id is the same one a poll of the same version gets (events.event_id).
"""

from __future__ import annotations

import datetime as dt
import re

from ..events import event_id, utc_text, version_token
from .spool import SpooledEvent, stored_time
from .validate import Rejection, instant, load_json, zoho_id

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
EVENT_TYPE = re.compile(r"([a-z_]{1,40})\.([a-z_]{1,40})")

__all__ = ["ENTITIES", "Rejection", "parse_delivery"]


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


def _event_type(query: dict[str, str], event_param: str, entity: str, doc: dict) -> str:
    given = query.get(event_param, "")
    if given:
        match = EVENT_TYPE.fullmatch(given)
        if not match or ENTITIES.get(match.group(1), (None,))[0] != entity:
            shown = given if len(given) <= 60 else given[:57] + "..."
            raise Rejection(422, f"event {shown!r} does not match the payload's entity {entity!r}")
        return given
    created = doc.get("created_time")
    return f"{entity}.{'created' if created and created == doc.get('last_modified_time') else 'updated'}"


def _organization(query: dict[str, str], body: dict, doc: dict, default: str | None) -> str:
    claimed = {zoho_id(value, "organization_id") for value in
               (query.get("organization_id"), body.get("organization_id"), doc.get("organization_id"))
               if value not in (None, "")}
    if len(claimed) > 1:
        raise Rejection(422, "the delivery names two different organizations")
    if claimed:
        return claimed.pop()
    if not default:
        raise Rejection(422, "organization unknown: add ?organization_id=... to the webhook URL "
                             "or set webhook_organization_id")
    return default


def parse_delivery(raw: bytes, query: dict[str, str], received_at: dt.datetime, *,
                   event_param: str = "event", default_organization_id: str | None = None,
                   query_signed: bool = True) -> SpooledEvent:
    """The event a verified delivery carries; `query_signed` False: the query string is not trusted."""
    if not query_signed:
        named = sorted({event_param, "organization_id"} & set(query))
        if named:
            raise Rejection(400, f"?{'/'.join(named)}= in the URL is not covered by this signature scheme: "
                                 "remove it from the webhook URL, or use webhook_signature_scheme zoho-finance")
    body = load_json(raw)
    if not isinstance(body, dict):
        raise Rejection(400, "the body must be a JSON object")
    entity, id_field, doc = _document(body)
    event_type = _event_type(query, event_param, entity, doc)
    doc_id = zoho_id(doc.get(id_field), f"{entity} {id_field}")
    changed = doc.get("last_modified_time")
    if changed not in (None, "", " "):
        version = utc_text(instant(changed, "last_modified_time"))
    else:  # Zoho gave no modification time: the version is the content's (events.version_token)
        version = version_token(doc)
    if doc.get("created_time"):
        instant(doc["created_time"], "created_time")
    operation = "delete" if event_type.endswith(".deleted") else "upsert"
    org = _organization(query, body, doc, default_organization_id)
    return SpooledEvent(
        event_id=event_id(org, entity, doc_id, version, operation),
        received_at=stored_time(received_at.isoformat()),
        organization_id=org, entity=entity, event_type=event_type, operation=operation,
        document_id=doc_id, last_modified_time=version, payload=doc)
