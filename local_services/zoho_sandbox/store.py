"""In-memory organizations and documents; create, edit, void and delete with Zoho's side effects.

Every change stamps `last_modified_time` with the current instant (second resolution, as Zoho shows
it) and tells the listeners (the webhook dispatcher), so a change made by a test looks like a change
made by a person in Zoho Books.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
from decimal import Decimal
from typing import Any, Callable

from .documents import BUILDERS, build_payment, refresh_receivable
from .entities import ENTITIES, apply_line_totals, money, zoho_time
from .organization import Org, Record

Listener = Callable[["Org", str, str, dict], None]  # org, entity path, action, document


class NotFound(KeyError):
    """A document id that does not exist (or no longer does)."""


class Store:
    def __init__(self, today: Callable[[], dt.date] | None = None) -> None:
        self.orgs: dict[str, Org] = {}
        self.lock = threading.RLock()
        self.listeners: list[Listener] = []
        self._today = today or (lambda: dt.date.today())

    # --- reading -------------------------------------------------------------------------------
    def get(self, org_id: str, entity: str, doc_id: str) -> Record:
        try:
            return self.orgs[org_id].docs[entity][doc_id]
        except KeyError:
            raise NotFound(doc_id) from None

    def records(self, org_id: str, entity: str) -> list[Record]:
        with self.lock:
            return list(self.orgs[org_id].docs[entity].values())

    # --- writing -------------------------------------------------------------------------------
    def _stamp(self, org: Org, rec: Record, at: dt.datetime) -> None:
        at = at.replace(microsecond=0)
        rec.last_modified = at
        rec.doc["last_modified_time"] = zoho_time(at, org.tz)

    def _notify(self, org: Org, entity: str, action: str, doc: dict) -> None:
        snapshot = copy.deepcopy(doc)
        for listener in self.listeners:
            listener(org, entity, action, snapshot)

    def create(self, org_id: str, entity: str, fields: dict[str, Any], at: dt.datetime | None = None,
               notify: bool = True) -> dict:
        at = (at or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
        with self.lock:
            org = self.orgs[org_id]
            if entity in BUILDERS:
                doc = BUILDERS[entity](org, fields, at, self._today())
            else:
                fields = {**fields, "payment_id": fields.get("payment_id") or org.new_id()}
                applied = self._apply_payment(org, entity, fields, at, notify)
                doc = build_payment(org, entity, {**fields, "applied": applied}, at)
            key = ENTITIES[entity].id_field
            org.docs[entity][doc[key]] = Record(doc, at, at, doc[key])
            if notify:
                self._notify(org, entity, "created", doc)
            return copy.deepcopy(doc)

    def update(self, org_id: str, entity: str, doc_id: str, fields: dict[str, Any],
               at: dt.datetime | None = None, action: str = "edited") -> dict:
        at = at or dt.datetime.now(dt.timezone.utc)
        with self.lock:
            org = self.orgs[org_id]
            rec = self.get(org_id, entity, doc_id)
            doc = rec.doc
            for key, value in fields.items():
                if key in ("line_items",):
                    continue
                doc[key] = Decimal(str(value)) if isinstance(value, (int, float)) and key in (
                    "exchange_rate", "adjustment", "shipping_charge") else value
            if "line_items" in fields and "line_items" in doc:
                for old, new in zip(doc["line_items"], fields["line_items"]):
                    old.update({k: Decimal(str(v)) if k in ("rate", "quantity") else v
                                for k, v in new.items()})
                apply_line_totals(doc, org.tax_name, org.tax_percent)
            if "balance" in doc and entity in ("invoices", "bills"):
                if doc["status"] != "void":
                    doc["balance"] = money(doc["total"] - doc["payment_made"])
                refresh_receivable(doc, self._today())
            self._stamp(org, rec, at)
            self._notify(org, entity, action, doc)
            return copy.deepcopy(doc)

    def notify_status(self, org_id: str, entity: str, doc_id: str, action: str) -> dict:
        """A notification Zoho sends without changing the document (`unpaid`, `overdue`, `paid`)."""
        with self.lock:
            rec = self.get(org_id, entity, doc_id)
            self._notify(self.orgs[org_id], entity, action, rec.doc)
            return copy.deepcopy(rec.doc)

    def void(self, org_id: str, entity: str, doc_id: str, at: dt.datetime | None = None) -> dict:
        """Void: a status, not a deletion; the document stays in lists with status "void"."""
        with self.lock:
            rec = self.get(org_id, entity, doc_id)
            fields: dict[str, Any] = {"status": "cancelled" if entity == "purchaseorders" else "void"}
            if "balance" in rec.doc:
                fields["balance"] = Decimal("0")
            return self.update(org_id, entity, doc_id, fields, at, action="voided")

    def delete(self, org_id: str, entity: str, doc_id: str) -> dict:
        with self.lock:
            org = self.orgs[org_id]
            rec = self.get(org_id, entity, doc_id)
            if entity == "invoices" and rec.doc.get("payments"):
                raise ValueError("Invoices which have payment or credits note applied cannot be deleted.")
            del org.docs[entity][doc_id]
            self._notify(org, entity, "deleted", rec.doc)
            return copy.deepcopy(rec.doc)

    def _apply_payment(self, org: Org, entity: str, payment: dict, at: dt.datetime,
                       notify: bool) -> list[dict]:
        """Apply a payment to invoices (customer) or bills (vendor): balances, statuses, times."""
        target = "invoices" if entity == "customerpayments" else "bills"
        key = "invoice" if target == "invoices" else "bill"
        rows = []
        for item in payment.get("applied", []):
            rec = self.get(org.org_id, target, item[f"{key}_id"])
            doc, amount = rec.doc, money(item["amount_applied"])
            if amount > doc["balance"]:
                raise ValueError(f"amount_applied {amount} exceeds the balance {doc['balance']} "
                                 f"of {key} {doc[key + '_id']}")
            doc["payment_made"] = money(doc["payment_made"] + amount)
            doc["balance"] = money(doc["balance"] - amount)
            doc["payments"].append({"payment_id": payment["payment_id"], "amount": amount,
                                    "date": at.astimezone(org.tz).date().isoformat()})
            if target == "invoices":
                doc["last_payment_date"] = at.astimezone(org.tz).date().isoformat()
            refresh_receivable(doc, self._today())
            if at > rec.last_modified:
                self._stamp(org, rec, at)
            rows.append({f"{key}_id": doc[f"{key}_id"], f"{key}_number": doc[f"{key}_number"],
                         "date": doc["date"], f"{key}_amount": doc["total"], "amount_applied": amount,
                         "balance_amount": doc["balance"]})
            if notify:
                self._notify(org, target, "edited", doc)
        return rows
