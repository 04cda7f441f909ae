"""The report as a fixed-width text table (for people and logs) or JSON (for schedulers and tickets).

Amounts are printed with their exact digits (Decimal, never float) and never rounded.
"""

from __future__ import annotations

import json
from decimal import Decimal

from .compare import Comparison
from .documents import Document


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    def line(cells): return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                                      for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return [line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]


def _aligned(*values: Decimal) -> list[str]:
    """The values with as many decimals as the longest of them (trailing zeros only: nothing is rounded),
    so 6426 and 6426.00 read alike."""
    places = max(0, *(-v.as_tuple().exponent for v in values if isinstance(v.as_tuple().exponent, int)))
    return [f"{v:.{places}f}" for v in values]


def _money(doc: Document | None) -> str:
    if doc is None:
        return "-"
    return f"{doc.currency or ''} {'-' if doc.amount is None else doc.amount}".strip() + (" void" if doc.voided else "")


def text(result: Comparison, header: str) -> str:
    out = [header, ""]
    rows = [[t.organization_id, t.entity, t.currency, str(t.zoho_count), str(t.bigquery_count),
             *_aligned(t.zoho_sum, t.bigquery_sum), "equal" if t.equal else "DIFFERENT"] for t in result.totals]
    out += _table(["organization", "entity", "currency", "zoho_count", "bigquery_count", "zoho_sum", "bigquery_sum",
                   "result"], rows, {3, 4, 5, 6})
    out.append("")
    if not result.differences:
        out.append("No differences: every document Zoho lists is in BigQuery's _current views with the same "
                   "amount, currency and void status, and nothing else is.")
        return "\n".join(out)
    out.append(f"{len(result.differences)} differing document(s):")
    out += _table(["organization", "entity", "document_id", "difference", "zoho", "bigquery", "note"],
                  [[d.organization_id, d.entity, d.document_id, d.kind, _money(d.zoho), _money(d.bigquery), d.note]
                   for d in result.differences], set())
    return "\n".join(out)


def _doc(doc: Document | None) -> dict | None:
    if doc is None:
        return None
    return {"amount": None if doc.amount is None else str(doc.amount), "currency": doc.currency,
            "voided": doc.voided, "last_modified_time": doc.last_modified_time}


def as_json(result: Comparison, meta: dict) -> str:
    """Amounts as strings with their exact digits (a JSON number would invite float parsing)."""
    def money(value: Decimal) -> str:
        return str(value)
    return json.dumps({
        **meta, "equal": not result.differences,
        "totals": [{"organization_id": t.organization_id, "entity": t.entity, "currency": t.currency,
                    "zoho_count": t.zoho_count, "bigquery_count": t.bigquery_count, "zoho_sum": money(t.zoho_sum),
                    "bigquery_sum": money(t.bigquery_sum), "equal": t.equal} for t in result.totals],
        "differences": [{"organization_id": d.organization_id, "entity": d.entity, "document_id": d.document_id,
                         "difference": d.kind, "zoho": _doc(d.zoho), "bigquery": _doc(d.bigquery), "note": d.note}
                        for d in result.differences],
    }, indent=2)
