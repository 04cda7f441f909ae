"""What the report compares per document, and for which entities.

A document is compared on its amount (`total`; `amount` for payments) with its currency, and on
whether it is voided. Other fields (status such as overdue, balance) change in Zoho without a new
`last_modified_time`, so the tap cannot be expected to follow them: they are not compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from tap_zohobooks.streams import DOCUMENT_STREAMS

# The amount Zoho lists for each entity (list rows and details carry the same field).
AMOUNT_FIELDS = {"customer_payments": "amount", "vendor_payments": "amount"}
# Voiding is a status, not a deletion: a voided invoice or bill stays listed with status "void" (and its
# total); a purchase order is cancelled instead.
VOID_STATUSES = frozenset({"void", "cancelled"})


@dataclass(frozen=True)
class Entity:
    table: str  # the stream and BigQuery table name: invoices, bills, ...
    path: str  # Books list path
    list_key: str
    detail_key: str
    id_field: str
    amount_field: str


ENTITIES: tuple[Entity, ...] = tuple(
    Entity(s.name, f"/{s.entity_path}", s.list_key, s.detail_key, s.id_field, AMOUNT_FIELDS.get(s.name, "total"))
    for s in DOCUMENT_STREAMS)


@dataclass(frozen=True)
class Document:
    """One document as one side shows it. `currency` is None when that side does not say."""

    doc_id: str
    amount: Decimal | None
    currency: str | None
    voided: bool
    last_modified_time: str | None = None  # as that side shows it, for the reader (never compared)


def exact_amount(value) -> Decimal | None:
    """An amount as an exact Decimal (Zoho's numbers are parsed as Decimal, BigQuery's NUMERIC is one);
    a float is refused, never rounded; Zoho's blank "" is no amount."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        raise TypeError("an amount arrived as a float: refusing to compare money inexactly")
    try:
        return Decimal(value) if not isinstance(value, Decimal) else value
    except (InvalidOperation, TypeError):
        raise ValueError(f"amount {value!r} is not a number") from None


def is_voided(status) -> bool:
    return str(status or "").lower() in VOID_STATUSES
