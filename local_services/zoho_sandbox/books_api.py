"""The Books v3 endpoints: organizations, list and detail, writes, webhooks and workflow logs.

Each handler takes the parsed request and returns (status, body dict). Authentication, the
organization check and rate limits happen before, in server.py, exactly once per call.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from .entities import ENTITIES, Entity, parse_zoho_time
from .store import NotFound, Org, Record

ZohoSandbox = Any  # the running sandbox (server.py), which imports this module

SORT_COLUMNS = {"created_time", "last_modified_time", "date", "due_date", "total", "balance", "amount",
                "customer_name", "vendor_name", "invoice_number", "bill_number", "purchaseorder_number",
                "payment_number", "reference_number", "delivery_date"}
STATUS_FILTERS = {"Status.All": None, "Status.Sent": "sent", "Status.Draft": "draft",
                  "Status.OverDue": "overdue", "Status.Overdue": "overdue", "Status.Paid": "paid",
                  "Status.Void": "void", "Status.PartiallyPaid": "partially_paid", "Status.Open": "open",
                  "Status.Unpaid": "unpaid"}


def bad_value(name: str) -> tuple[int, dict]:
    return 400, {"code": 2, "message": f"Invalid value passed for {name}"}


def _sort_key(column: str):
    if column == "last_modified_time":
        return lambda r: (r.last_modified, r.doc_id)
    if column == "created_time":
        return lambda r: (r.created, r.doc_id)
    return lambda r: (r.doc.get(column) if r.doc.get(column) not in (None, "", " ") else "", r.doc_id)


def _matches_status(doc: dict, wanted: str) -> bool:
    if wanted == "unpaid":
        return doc.get("status") not in ("paid", "void", "draft") and doc.get("balance", 0) > 0
    return doc.get("status") == wanted


def is_undated(sandbox: ZohoSandbox, entity: Entity, doc_id: str) -> bool:
    """Whether Zoho serves this document without `last_modified_time` (see SandboxConfig)."""
    config = sandbox.config
    if entity.path == "vendorpayments" and config.vendorpayments_without_last_modified_time:
        return True
    share = config.share_without_last_modified_time
    if share <= 0:
        return False
    bucket = int(hashlib.sha256(f"{entity.path}/{doc_id}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return bucket < share


def _without_hidden(sandbox: ZohoSandbox, entity: Entity, doc: dict) -> dict:
    if is_undated(sandbox, entity, str(doc.get(entity.id_field, ""))):
        return {k: v for k, v in doc.items() if k != "last_modified_time"}
    return doc


def _listed_since(sandbox: ZohoSandbox, entity: Entity, rec: Record, since: dt.datetime) -> bool:
    """Zoho's `last_modified_time` filter: strictly greater, as instants; undated documents as configured."""
    if is_undated(sandbox, entity, rec.doc_id):
        mode = sandbox.config.undated_list_filter
        if mode == "always":
            return True
        if mode == "never":
            return False
    return rec.last_modified > since


def list_documents(sandbox: ZohoSandbox, org: Org, entity: Entity, q: dict[str, str]) -> tuple[int, dict]:
    try:
        page = int(q.get("page", "1"))
        per_page = min(int(q.get("per_page", "200")), sandbox.config.per_page_max)
        if page < 1 or per_page < 1:
            raise ValueError
    except ValueError:
        return bad_value("page")
    column = q.get("sort_column", "created_time")
    order = q.get("sort_order", "D")
    if column not in SORT_COLUMNS:
        return bad_value("sort_column")
    if order not in ("A", "D"):
        return bad_value("sort_order")
    rows: list[Record] = sandbox.store.records(org.org_id, entity.path)
    if "last_modified_time" in q:
        try:
            since = parse_zoho_time(q["last_modified_time"])
        except ValueError:
            return bad_value("last_modified_time")
        rows = [r for r in rows if _listed_since(sandbox, entity, r, since)]
    for name, op in (("date_start", "ge"), ("date_end", "le"), ("date_after", "gt"), ("date_before", "lt")):
        if name in q:
            try:
                bound = dt.date.fromisoformat(q[name]).isoformat()
            except ValueError:
                return bad_value(name)
            rows = [r for r in rows if {"ge": r.doc["date"] >= bound, "le": r.doc["date"] <= bound,
                                        "gt": r.doc["date"] > bound, "lt": r.doc["date"] < bound}[op]]
    wanted = q.get("status") or STATUS_FILTERS.get(q.get("filter_by", "Status.All"))
    if wanted:
        rows = [r for r in rows if _matches_status(r.doc, wanted)]
    rows.sort(key=_sort_key(column), reverse=(order == "D"))
    start = (page - 1) * per_page
    if sandbox.config.duplicate_rows_across_pages and page > 1:
        start -= 1  # Zoho repeats the previous page's last row
    chunk = rows[start:start + per_page]
    items = [_without_hidden(sandbox, entity, {k: r.doc.get(k, "") for k in entity.list_fields})
             for r in chunk]
    return 200, {
        "code": 0, "message": "success", entity.list_key: items,
        "page_context": {"page": page, "per_page": per_page, "has_more_page": start + per_page < len(rows),
                         "report_name": entity.label + "s", "applied_filter": q.get("filter_by", "Status.All"),
                         "sort_column": column, "sort_order": order},
    }


def _not_found(sandbox: ZohoSandbox, entity: Entity) -> tuple[int, dict]:
    return sandbox.config.not_found_status, {"code": 1002, "message": f"{entity.label} does not exist."}


def get_document(sandbox: ZohoSandbox, org: Org, entity: Entity, doc_id: str) -> tuple[int, dict]:
    try:
        rec = sandbox.store.get(org.org_id, entity.path, doc_id)
    except NotFound:
        return _not_found(sandbox, entity)
    return 200, {"code": 0, "message": "success", entity.detail_key: _without_hidden(sandbox, entity, rec.doc)}


def write_document(sandbox: ZohoSandbox, org: Org, entity: Entity, method: str, doc_id: str | None,
                   action: str | None, body: dict[str, Any]) -> tuple[int, dict]:
    """POST create, PUT edit, DELETE, POST .../status/void: Zoho's write endpoints."""
    store, label = sandbox.store, entity.label
    try:
        if method == "POST" and doc_id is None:
            doc = store.create(org.org_id, entity.path, body)
            return 201, {"code": 0, "message": f"The {label.lower()} has been created.", entity.detail_key: doc}
        if doc_id is None:
            return 405, {"code": 5, "message": "Method not allowed"}
        if method == "PUT":
            doc = store.update(org.org_id, entity.path, doc_id, body)
            return 200, {"code": 0, "message": f"{label} information has been updated.", entity.detail_key: doc}
        if method == "DELETE":
            store.delete(org.org_id, entity.path, doc_id)
            return 200, {"code": 0, "message": f"The {label.lower()} has been deleted."}
        if method == "POST" and action == "status/void":
            store.void(org.org_id, entity.path, doc_id)
            return 200, {"code": 0, "message": f"{label} status has been changed to Void."}
    except NotFound:
        return _not_found(sandbox, entity)
    except (KeyError, ValueError) as exc:
        return 400, {"code": 4, "message": str(exc).strip("'\"")}
    return 405, {"code": 5, "message": "Method not allowed"}


def workflow_logs(sandbox: ZohoSandbox, org: Org, q: dict[str, str]) -> tuple[int, dict]:
    try:
        start = dt.date.fromisoformat(q["from_date"]) if q.get("from_date") else None
        end = dt.date.fromisoformat(q["to_date"]) if q.get("to_date") else None
        page, per_page = int(q.get("page", "1")), min(int(q.get("per_page", "200")), 200)
    except ValueError:
        return bad_value("from_date")
    rows = sandbox.hub.list_logs(org, start, end)
    chunk = rows[(page - 1) * per_page: page * per_page]
    return 200, {"code": 0, "message": "success", "workflow_logs": chunk,
                 "page_context": {"page": page, "per_page": per_page,
                                  "has_more_page": page * per_page < len(rows)}}


def register_webhook(sandbox: ZohoSandbox, org: Org, body: dict[str, Any]) -> tuple[int, dict]:
    entity = {e.webhook_entity: e.path for e in ENTITIES.values()}.get(body.get("entity", ""), body.get("entity"))
    try:
        hook = sandbox.hub.register(org.org_id, entity, body["url"], body.get("secret", ""),
                                    body.get("webhook_name", ""), body.get("events"))
    except (KeyError, ValueError) as exc:
        return 400, {"code": 4, "message": str(exc).strip("'\"")}
    return 201, {"code": 0, "message": "The webhook has been created.",
                 "webhook": {"webhook_id": hook.webhook_id, "entity": body.get("entity"), "url": hook.url}}
