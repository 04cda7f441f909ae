"""What Zoho Books has now: every listed document of an organization and entity, from list pages.

Calls go through the tap's API client (`tap_zohobooks.api.ZohoBooksAPI`), so the token cache, the data
center, the shared per-minute window, concurrency slots and daily budget (`token_cache_dir`) count these
calls like any sync's. A listing cut by the quota raises QuotaExhausted: no half listing is compared.
"""

from __future__ import annotations

import datetime as dt

from tap_zohobooks.api import DocumentNotFound, ZohoAPIError, ZohoBooksAPI
from tap_zohobooks.events import modified_instant
from tap_zohobooks.listing import all_rows

from .documents import Document, Entity, exact_amount, is_voided

# A document that looks deleted (in BigQuery, not listed) is confirmed with one detail call, because offset
# paging can skip a row when documents are deleted during the walk; beyond this many per organization and
# entity the rest are reported unconfirmed instead of spending the quota.
MAX_CONFIRMATIONS = 100


def document(row: dict, entity: Entity) -> Document:
    return Document(str(row[entity.id_field]), exact_amount(row.get(entity.amount_field)),
                    row.get("currency_code") or None, is_voided(row.get("status")),
                    row.get("last_modified_time") or None)


def listed_documents(api: ZohoBooksAPI, org_id: str, entity: Entity, page_size: int,
                     since: dt.datetime | None) -> tuple[dict[str, Document], set[str]]:
    """(documents Zoho lists, ids left out because last modified before `since`, the sync's start_date)."""
    listed, before_start = {}, set()
    for row in all_rows(api, org_id, entity.path, entity.list_key, page_size, stream=entity.table):
        doc = document(row, entity)
        changed = modified_instant(row)
        if since is not None and changed is not None and changed < since:
            before_start.add(doc.doc_id)
        else:
            listed[doc.doc_id] = doc
    return listed, before_start


def confirm_absent(api: ZohoBooksAPI, org_id: str, entity: Entity, ids: list[str]) -> dict[str, Document | None]:
    """For ids the listing did not show: None when Zoho answers 404 (deleted), else the document
    (the listing skipped it). Ids past MAX_CONFIRMATIONS are not asked (left out of the answer)."""
    found: dict[str, Document | None] = {}
    for doc_id in ids[:MAX_CONFIRMATIONS]:
        try:
            body = api.get(f"{entity.path}/{doc_id}", org_id, {}, stream=entity.table)
        except (DocumentNotFound, ZohoAPIError):  # 404, or an id Zoho refuses outright: not a document
            found[doc_id] = None
            continue
        found[doc_id] = document(body[entity.detail_key], entity)
    return found
