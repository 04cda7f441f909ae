"""Compare one organization and entity: per-document differences and per-currency counts and sums.

Kinds of difference (docs/reconciliation-report.md):
- `missing in BigQuery`: Zoho lists it, `_current` does not show it;
- `extra in BigQuery`: `_current` shows it, Zoho no longer has it (deleted, confirmed by a 404) or never did;
- `total differs`: both have it, with another amount or currency;
- `void differs`: voided on one side only;
- `duplicate in BigQuery`: `_current` shows the document more than once.
A document's currency is the one its side names; where a list row names none, the other side's, else
the organization's base currency. Money stays Decimal throughout.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from tap_zohobooks.events import parse_instant

from .documents import Document

MISSING, EXTRA, TOTAL, VOID, DUPLICATE = ("missing in BigQuery", "extra in BigQuery", "total differs",
                                          "void differs", "duplicate in BigQuery")


@dataclass(frozen=True)
class Difference:
    organization_id: str
    entity: str
    document_id: str
    kind: str
    zoho: Document | None
    bigquery: Document | None
    note: str = ""


@dataclass
class Totals:
    """One organization, entity and currency: how many documents, and the sum of their amounts."""

    organization_id: str
    entity: str
    currency: str
    zoho_count: int = 0
    bigquery_count: int = 0
    zoho_sum: Decimal = Decimal(0)
    bigquery_sum: Decimal = Decimal(0)
    differing: int = 0  # documents of this currency with a difference (equal sums can hide two)

    @property
    def equal(self) -> bool:
        return self.zoho_count == self.bigquery_count and self.zoho_sum == self.bigquery_sum and not self.differing


@dataclass
class Comparison:
    totals: list[Totals] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)


def _currency(own: Document | None, other: Document | None, base: str) -> str:
    return (own and own.currency) or (other and other.currency) or base or "?"


def compare(org_id: str, entity: str, zoho: dict[str, Document], bigquery: dict[str, list[Document]],
            base_currency: str, unconfirmed: set[str] = frozenset()) -> Comparison:
    """`unconfirmed`: ids in BigQuery that Zoho did not list and no detail call was spent on."""
    sums: dict[str, Totals] = {}
    result = Comparison()

    def totals(currency: str) -> Totals:
        return sums.setdefault(currency, Totals(org_id, entity, currency))

    def differ(doc_id: str, kind: str, z: Document | None, b: Document | None, note: str = "") -> None:
        result.differences.append(Difference(org_id, entity, doc_id, kind, z, b, note))
        for currency in {_currency(z, b, base_currency) if z else None, _currency(b, z, base_currency) if b else None}:
            if currency is not None:
                totals(currency).differing += 1

    for doc_id in sorted(set(zoho) | set(bigquery), key=lambda i: (len(i), i)):
        z, rows = zoho.get(doc_id), bigquery.get(doc_id, [])
        b = rows[0] if rows else None
        if z is not None:
            t = totals(_currency(z, b, base_currency))
            t.zoho_count += 1
            t.zoho_sum += z.amount or 0
        for row in rows:
            t = totals(_currency(row, z, base_currency))
            t.bigquery_count += 1
            t.bigquery_sum += row.amount or 0
        if z is None:
            differ(doc_id, EXTRA, None, b, "not listed; not confirmed with Zoho" if doc_id in unconfirmed
                   else "Zoho has no such document (deleted there, or never existed)")
        elif b is None:
            differ(doc_id, MISSING, z, None)
        else:
            if (z.amount, _currency(z, b, base_currency)) != (b.amount, _currency(b, z, base_currency)):
                differ(doc_id, TOTAL, z, b, _newer(z, b))
            if z.voided != b.voided:
                differ(doc_id, VOID, z, b, _newer(z, b))
        if len(rows) > 1:
            differ(doc_id, DUPLICATE, z, b, f"{len(rows)} rows in _current")
    if not sums:  # nothing on either side: still one line, so every entity shows it was compared
        totals(base_currency or "-")
    result.totals = [sums[c] for c in sorted(sums)]
    return result


def _newer(z: Document, b: Document) -> str:
    """A hint for the reader: was the document changed in Zoho after the version BigQuery holds?"""
    try:
        if z.last_modified_time and b.last_modified_time and \
                parse_instant(z.last_modified_time) > parse_instant(b.last_modified_time):
            return "changed in Zoho after the version in BigQuery (not yet synced?)"
    except ValueError:
        pass
    return ""
