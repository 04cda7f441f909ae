"""A full, unfiltered walk of a Books list endpoint: every row Zoho lists now, page by page.

Sorted by `created_time` ascending, so documents created during the walk land after it instead of
shifting rows between pages (a deletion during the walk can still make offset paging skip a row; the
callers confirm what looks missing with a detail call). Used by the reconcile pass of polling and by the
reconciliation report. A quota stop (QuotaExhausted) propagates: a walk that did not finish is never
mistaken for a complete listing.
"""

from __future__ import annotations

from typing import Iterator

from .api import ZohoBooksAPI


def all_rows(api: ZohoBooksAPI, org_id: str, path: str, list_key: str, page_size: int, stream: str) -> Iterator[dict]:
    page = 1
    while True:
        body = api.get(path, org_id, {"page": page, "per_page": page_size, "sort_column": "created_time",
                                      "sort_order": "A"}, stream=stream)
        rows = body.get(list_key) or []
        yield from rows
        if not rows or not (body.get("page_context") or {}).get("has_more_page"):
            return
        page += 1
