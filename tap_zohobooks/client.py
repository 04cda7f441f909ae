"""The base document stream: one partition per organization, the list walk, the bookmark.

The network work (list pass, details, reconcile) is done ahead by a fetch worker per organization
and stream (fetch.py, prefetch.py, docs/concurrency.md); `get_records` here emits its items in order.

The list walk (why not plain page numbers): Zoho pages by offset, so a document edited during a scan
moves to the end of an ascending `last_modified_time` order and every later row shifts back one
place: plain `page=N+1` would skip a row. Instead, after each page the walk restarts at page 1 with
the filter `last_modified_time > (newest time on the page - 1s)`; rows already seen are dropped by
(id, last_modified_time). Only when a whole page shares one second does it fall back to `page+1`.

The bookmark is the newest `last_modified_time` emitted (UTC). A run starts `lookback_seconds`
before it, so same-second edits and late-indexed rows are never missed; the versions already emitted
inside that window are remembered in state (hashed, pruned to the window), so a run with no changes
makes only list calls and emits nothing.

Rows without `last_modified_time` (Zoho omits it on some documents) have no time to compare: they
are compared by content instead (content_versions.py, docs/identity.md) and never move the bookmark.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from functools import cached_property
from importlib import resources
from typing import Any, Iterable

from singer_sdk import Tap
from singer_sdk.streams import Stream

from .api import ZohoBooksAPI
from .conform import conform
from .content_versions import ContentVersions
from .events import event_id, parse_instant, utc_text, version_token
from .reconcile import STATE_IDS, decode_ids, encode_ids
from .resync import pending_resync


ONE_SECOND = dt.timedelta(seconds=1)


def load_schema(name: str) -> dict:
    return json.loads(resources.files("tap_zohobooks.schemas").joinpath(f"{name}.json").read_text())


class RecentVersions:
    """Document versions emitted within the lookback window, kept in state as short hashes."""

    def __init__(self, entries: Iterable[str] = ()) -> None:
        self._seen: dict[str, int] = {}
        for entry in entries:
            digest, _, epoch = entry.partition(":")
            if epoch.isdigit():
                self._seen[digest] = int(epoch)

    @staticmethod
    def _digest(version: str) -> str:
        return hashlib.sha256(version.encode()).hexdigest()[:16]

    def __contains__(self, version: str) -> bool:
        return self._digest(version) in self._seen

    def add(self, version: str, instant: dt.datetime) -> None:
        self._seen[self._digest(version)] = int(instant.timestamp())

    def to_state(self, since: dt.datetime | None) -> list[str]:
        floor = int(since.timestamp()) if since else 0
        return sorted(f"{d}:{e}" for d, e in self._seen.items() if e >= floor)


class ZohoDocumentStream(Stream):
    """A Books document type, synced incrementally per organization."""

    entity_path: str  # Books path: invoices, bills, purchaseorders, ...
    list_key: str
    detail_key: str
    id_field: str
    event_entity: str  # invoice, bill, ... (the webhook event prefix)
    replication_key = "last_modified_time"
    is_sorted = True
    STATE_MSG_FREQUENCY = 1000

    def __init__(self, tap: Tap) -> None:
        super().__init__(tap, schema=load_schema(self.name))
        self.primary_keys = ["organization_id", self.id_field]
        self.api_calls_before = 0

    @property
    def api(self) -> ZohoBooksAPI:
        return self._tap.api  # type: ignore[attr-defined]

    @property
    def partitions(self) -> list[dict]:
        return [{"organization_id": org_id} for org_id in self._tap.organization_ids]  # type: ignore[attr-defined]

    @cached_property
    def lookback(self) -> dt.timedelta:
        return dt.timedelta(seconds=int(self.config.get("lookback_seconds", 300)))

    _listed: str | None = None  # the emitted document's list row time (get_records)

    def _increment_stream_state(self, latest_record: dict, *, context: dict | None = None) -> None:
        """Advance the bookmark only forward: lookback re-reads emit versions older than it.

        The bookmark is the time the list row showed, not the detail's: a document edited between
        the list pass and its detail call must not carry the bookmark past documents edited meanwhile
        that the list pass did not see (the next run lists them)."""
        state = self.get_context_state(context)
        value = self._listed or latest_record.get(self.replication_key)
        if latest_record.get("_source") == "reconcile":
            return  # a tombstone's time is when the deletion was seen, not a Zoho modification time
        if value and (state.get("replication_key_value") is None or value > state["replication_key_value"]):
            state["replication_key"] = self.replication_key
            state["replication_key_value"] = value

    def _start(self, state: dict) -> dt.datetime | None:
        if state.get("replication_key_value"):
            return parse_instant(state["replication_key_value"]) - self.lookback
        start = self.config.get("start_date")
        return parse_instant(start) if start else None

    def _walk_plan(self, org_id: str, state: dict) -> tuple[dt.datetime | None, RecentVersions, dt.datetime | None]:
        """Where the walk starts, the versions it skips, and the `resync_from` date to mark applied once
        the walk finished (None when no re-sync is pending; resync.py)."""
        start, resync = self._start(state), pending_resync(self.config, state)
        if resync is not None and start is not None and resync < start:  # never later: skips nothing
            self.logger.info("Re-syncing %s for organization %s from %s (resync_from, applied once)",
                             self.name, org_id, utc_text(resync))
            return resync, RecentVersions(), resync  # re-emit every version since then, even recent ones
        return start, RecentVersions(state.get("recent_versions", [])), resync

    def get_records(self, context: dict | None) -> Iterable[dict[str, Any]]:
        """Emit what this partition's fetch worker found (fetch.py), noting each item in state only
        as it is emitted, so a killed run resumes from what was written."""
        org_id = context["organization_id"] if context else ""
        if self.config.get("mode", "poll") != "poll":
            return  # history mode: only the webhook history stream reads Zoho
        if self.api.exhausted:
            self.logger.warning("Skipping %s for organization %s: %s", self.name, org_id, self.api.exhausted)
            return
        state = self.get_context_state(context)
        recent = RecentVersions(state.get("recent_versions", []))
        undated = ContentVersions(state.get("content_versions"))
        known = decode_ids(state.get(STATE_IDS))
        try:
            for item in self._tap.prefetcher.items(org_id, self.name):  # type: ignore[attr-defined]
                if item.state is not None:
                    state.update(item.state)
                    continue
                for version, instant in item.versions:
                    recent.add(version, instant)
                if item.undated is not None:
                    undated.remember(item.doc_id, item.undated)
                if item.record is None:
                    continue
                if item.forget:
                    known.discard(item.doc_id)
                else:
                    known.add(item.doc_id)
                if item.event is not None:
                    self.record_event(item.record, **item.event)
                self._listed = utc_text(item.listed) if item.listed else None
                yield item.record
        finally:
            self._listed = None
            state[STATE_IDS] = encode_ids(known)
            newest = state.get("replication_key_value")
            state["recent_versions"] = recent.to_state(parse_instant(newest) - self.lookback if newest else None)
            if undated.to_state() or "content_versions" in state:
                state["content_versions"] = undated.to_state()

    def record_event(self, record: dict, version: str, event_type: str, source: str, key: str,
                     details: dict | None = None) -> None:
        """A document_events row for one observation of the version `record` (see document_events.py)."""
        self._tap.events.record(  # type: ignore[attr-defined]
            key=key, organization_id=record["organization_id"], entity=self.event_entity,
            document_id=str(record[self.id_field]), event_type=event_type, source=source,
            operation=record["_operation"], version=version, version_event_id=record["_source_event_id"],
            last_modified_time=record.get("last_modified_time"), arrival=record["_arrival_ts"], details=details)

    def _spooled_version(self, org_id: str, row: dict, changed: dt.datetime):
        spool = self._tap.spool  # type: ignore[attr-defined]
        if spool is None:
            return None
        return spool.latest_version(org_id, self.event_entity, str(row[self.id_field]), utc_text(changed))

    def to_record(self, org_id: str, doc: dict, source: str, operation: str = "upsert", *,
                  event: str | None = None, arrival: str | None = None, version: str | None = None) -> dict:
        """The typed record for a Zoho document, with its event identity and the raw document.

        `event` and `arrival` keep the identity and receipt time of a spooled webhook event. The
        version is `events.version_token(doc)` unless given (a chained content version); a document
        without `last_modified_time` keeps it null, as Zoho sent it (docs/identity.md).
        """
        record = {k: conform(doc[k], sub) for k, sub in self.schema["properties"].items()
                  if k in doc and not k.startswith("_")}
        record.setdefault("last_modified_time", None)
        version = version or version_token(doc)
        record.update({
            "organization_id": org_id,
            "_source_event_id": event or event_id(org_id, self.event_entity, str(doc[self.id_field]), version, operation),
            "_source": source,
            "_operation": operation,
            "_arrival_ts": arrival or dt.datetime.now(dt.timezone.utc).isoformat(),
            "_raw": doc,
        })
        return record
