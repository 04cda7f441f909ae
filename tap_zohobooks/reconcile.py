"""Deletes found by polling: a periodic reconciliation of the ids the tap knows with what Zoho lists.

Zoho's lists show only documents that exist, and a deletion does not change any `last_modified_time`,
so incremental polling alone never sees one. Once per `reconcile_interval_hours` (per organization
and stream) the poller lists every document (list pages only, no filter, by `created_time`), compares
the ids with the ids it has emitted (kept in state, compactly), and for each one missing asks the
detail endpoint: only a 404 / code 1002 confirms the deletion (offset paging can skip a row when
documents are deleted mid-scan). Each confirmed one gets a delete tombstone (`_source` = reconcile)
with a stable event id, so a re-emit collapses, and a `document_events` row.

A listing that fails or is cut by the quota emits nothing and keeps the known ids as they were.
Voided documents are still listed: they are a status, not a deletion.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import zlib
from typing import Iterable

from singer_sdk.streams import Stream  # a client.ZohoDocumentStream (client.py imports this module)

from .api import DocumentNotFound, QuotaExhausted
from .events import parse_instant, utc_text
from .listing import all_rows

STATE_IDS, STATE_RUN = "known_ids", "reconciled_at"


def encode_ids(ids: Iterable[str]) -> str:
    """Sorted ids, delta-encoded when all are plain numbers (Zoho's are), zlib, base64."""
    ordered = sorted(set(ids), key=lambda i: (len(i), i))
    if all(i.isdigit() and not i.startswith("0") for i in ordered):
        numbers = [int(i) for i in ordered]
        deltas = [b - a for a, b in zip([0] + numbers, numbers)]
        return "d:" + base64.b64encode(zlib.compress(",".join(map(str, deltas)).encode(), 9)).decode()
    return "s:" + base64.b64encode(zlib.compress("\n".join(ordered).encode(), 9)).decode()


def decode_ids(text: str | None) -> set[str]:
    if not text:
        return set()
    kind, _, data = text.partition(":")
    body = zlib.decompress(base64.b64decode(data)).decode()
    if not body:
        return set()
    if kind == "d":
        total, ids = 0, set()
        for delta in body.split(","):
            total += int(delta)
            ids.add(str(total))
        return ids
    return set(body.split("\n"))


def tombstone_event_id(org_id: str, entity: str, doc_id: str) -> str:
    """Stable for a document: a reconcile tombstone emitted twice is one event."""
    return hashlib.sha256("|".join((org_id, entity, doc_id, "reconcile", "delete")).encode()).hexdigest()


def due(stream: Stream, state: dict, now: dt.datetime) -> bool:
    """Whether this organization and stream is due a reconciliation (0: every run; negative: never)."""
    hours = int(stream.config.get("reconcile_interval_hours", 24))
    if hours < 0:
        return False
    last = state.get(STATE_RUN)
    if last is None and hours > 0:
        state[STATE_RUN] = utc_text(now)  # a first sync has just listed everything
        return False
    return last is None or now - parse_instant(last) >= dt.timedelta(hours=hours)


def _list_all(stream: Stream, org_id: str) -> set[str] | None:
    """Every id Zoho lists now, or None when the listing did not finish."""
    try:
        return {str(row[stream.id_field]) for row in all_rows(
            stream.api, org_id, f"/{stream.entity_path}", stream.list_key, int(stream.config.get("page_size", 200)),
            stream.name)}
    except QuotaExhausted as exc:
        stream.logger.warning("Reconcile of %s for organization %s stopped by the quota (%s): no document "
                              "is marked deleted", stream.name, org_id, exc)
        return None


def reconcile(stream: Stream, org_id: str, state: dict, known: set[str]) -> Iterable[tuple[str, dict, dict]]:
    """(document id, delete tombstone, its document_events arguments) for each known document Zoho
    confirms gone; updates `known` and the run time in `state`."""
    now = dt.datetime.now(dt.timezone.utc)
    if not known or stream.api.exhausted or not due(stream, state, now):
        return
    listed = _list_all(stream, org_id)
    if listed is None:
        return
    complete = True
    for doc_id in sorted(known - listed):
        try:
            stream.api.get(f"/{stream.entity_path}/{doc_id}", org_id, {}, stream=stream.name)
            continue  # still there: the listing skipped it (offset paging while documents were deleted)
        except DocumentNotFound as exc:
            gone = str(exc)
        except QuotaExhausted:
            complete = False
            break
        record = stream.to_record(org_id, {stream.id_field: doc_id, "last_modified_time": utc_text(now),
                                           "code": 1002, "message": gone},
                                  "reconcile", "delete", event=tombstone_event_id(org_id, stream.event_entity, doc_id))
        event = {"version": "reconcile", "event_type": f"{stream.event_entity}.deleted", "source": "reconcile",
                 "key": record["_source_event_id"], "details": {"observed_at": utc_text(now)}}
        known.discard(doc_id)
        yield doc_id, record, event
    if complete:
        state[STATE_RUN] = utc_text(now)
