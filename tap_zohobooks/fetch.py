"""The network side of one (organization, document stream): list first, then details, then reconcile.

Runs in a fetch worker (prefetch.py), never writes to stdout and never touches the SDK's state: it
works on a copy of the partition's state taken when the run starts, and hands `Fetched` items to
the stream's `get_records`, which emits them and only then notes them in state (client.py). So a
killed run resumes from what was emitted, whatever the workers had fetched ahead.

The list pass comes first and completely, so the number of documents to fetch (the total behind the
progress lines, the ETA and the multi-day estimate) is known before the first detail call. The list
walk itself is explained in client.py. Only what the detail phase needs is kept per listed row (id
and time; the row itself only for rows without `last_modified_time`), so memory stays small.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from singer_sdk import Tap

from .api import DocumentNotFound, QuotaExhausted
from .client import ONE_SECOND, RecentVersions, ZohoDocumentStream
from .content_versions import ContentVersions
from .events import modified_instant, utc_text, zoho_filter_text
from .prefetch import Prefetcher
from .reconcile import STATE_IDS, STATE_RUN, decode_ids, reconcile
from .resync import STATE_KEY as RESYNC_KEY


@dataclass
class Fetched:
    """One document's outcome, or (with `state`) the partition's last word, handed to get_records."""

    doc_id: str = ""
    record: dict | None = None  # None: nothing to emit (deleted meanwhile; only the list row changed)
    versions: list[tuple[str, dt.datetime]] = field(default_factory=list)  # now known as emitted
    listed: dt.datetime | None = None  # the list row's time: the bookmark never passes it
    undated: tuple | None = None  # the ContentVersions entry of a document without last_modified_time
    event: dict | None = None  # record_event arguments, written just before the record
    forget: bool = False  # a reconcile tombstone: the id leaves the known ids
    state: dict | None = None  # end of the partition: state keys to set (reconcile's run time)


@dataclass
class Listed:
    doc_id: str
    changed: dt.datetime | None
    row: dict | None  # kept only when needed: no last_modified_time, or fetch_details off


def start_fetches(tap: Tap) -> Prefetcher:
    """One fetch job per selected document stream and organization, started now (the run's first
    document partition); each works on a copy of its partition's state as it is now."""
    streams = [s for s in tap.streams.values() if isinstance(s, ZohoDocumentStream) and s.selected]
    _ = (tap.spool, tap.polled)  # type: ignore[attr-defined]  # made here once, not by two workers at a time
    jobs = {}
    for org_id in tap.organization_ids:  # type: ignore[attr-defined]
        for stream in streams:
            state = copy.deepcopy(stream.get_context_state({"organization_id": org_id}))
            jobs[(org_id, stream.name)] = PartitionFetch(stream, org_id, state).run
    return Prefetcher(jobs, tap.organization_ids, int(tap.config.get("max_concurrent_organizations", 4)),  # type: ignore[attr-defined]
                      tap.logger).start()


class PartitionFetch:
    def __init__(self, stream: ZohoDocumentStream, org_id: str, state: dict) -> None:
        self.stream, self.org_id, self.state = stream, org_id, state
        self.api = stream.api
        self.progress = stream.api.progress
        self.details = bool(stream.config.get("fetch_details", True))

    def run(self, put: Callable[[Fetched], None]) -> None:
        stream, org_id = self.stream, self.org_id
        undated = ContentVersions(self.state.get("content_versions"))
        known = decode_ids(self.state.get(STATE_IDS))
        start, recent, resync = stream._walk_plan(org_id, self.state)
        finished: dict[str, Any] = {}
        try:
            pages = self._list_pages(start, recent, undated)
            if self.details:  # the whole list first: the total is known before the first detail call
                pages = iter([[entry for page in pages for entry in page]])
            for page in pages:
                for entry in page:
                    item = self._fetch(entry, undated)
                    if item.record is not None:
                        known.add(item.doc_id)
                    put(item)
            if resync is not None:  # the walk from the re-sync date finished: applied (resync.py)
                finished[RESYNC_KEY] = utc_text(resync)
            for doc_id, record, event in reconcile(stream, org_id, self.state, known):
                put(Fetched(doc_id, record, event=event, forget=True))
        except QuotaExhausted as exc:
            stream.logger.warning("Stopping %s for organization %s: %s", stream.name, org_id, exc)
        if STATE_RUN in self.state:
            finished[STATE_RUN] = self.state[STATE_RUN]
        put(Fetched(state=finished))

    # --- the list pass ---------------------------------------------------------------------------
    def _list_pages(self, cursor: dt.datetime | None, recent: RecentVersions,
                    undated: ContentVersions) -> Iterator[list[Listed]]:
        """Per list page, the rows with work to do (a version not emitted yet, or changed content)."""
        stream, org_id = self.stream, self.org_id
        page, per_page, count = 1, int(stream.config.get("page_size", 200)), 0
        undated_seen: set[str] = set()
        while True:
            params: dict[str, Any] = {"page": page, "per_page": per_page,
                                      "sort_column": "last_modified_time", "sort_order": "A"}
            if cursor is not None:
                params["last_modified_time"] = zoho_filter_text(cursor)
            body = self.api.get(f"/{stream.entity_path}", org_id, params, stream=stream.name)
            rows = body.get(stream.list_key) or []
            newest: dt.datetime | None = None
            found: list[Listed] = []
            for row in rows:
                doc_id, changed = str(row[stream.id_field]), modified_instant(row)
                if changed is None:  # no time to compare: compare content (content_versions.py)
                    if doc_id not in undated_seen and not undated.row_unchanged(doc_id, row):
                        undated_seen.add(doc_id)
                        found.append(Listed(doc_id, None, row))
                    continue
                newest = changed if newest is None or changed > newest else newest
                version = f"{org_id}/{doc_id}@{utc_text(changed)}"
                if version in recent:
                    continue  # emitted before (earlier page, duplicate row, or a previous run)
                recent.add(version, changed)
                found.append(Listed(doc_id, changed, None if self.details else row))
            count += len(found)
            more = bool((body.get("page_context") or {}).get("has_more_page")) and bool(rows)
            self.progress.listed(org_id, stream.name, count, finished=not more)
            yield found
            if not more:
                return
            if newest is not None and (cursor is None or newest - ONE_SECOND > cursor):
                cursor, page = newest - ONE_SECOND, 1
            else:
                page += 1

    # --- the detail phase ------------------------------------------------------------------------
    def _fetch(self, entry: Listed, undated: ContentVersions) -> Fetched:
        stream, org_id = self.stream, self.org_id
        stream._tap.polled.add((org_id, stream.event_entity, entry.doc_id))  # type: ignore[attr-defined]
        self.progress.document_done(org_id, stream.name)
        if entry.changed is None:
            return self._undated(entry, undated)
        listed_version = (f"{org_id}/{entry.doc_id}@{utc_text(entry.changed)}", entry.changed)
        item = Fetched(entry.doc_id, versions=[listed_version], listed=entry.changed)
        spooled = self._spooled_version(entry)
        if spooled is not None:  # the webhook already brought this version: no detail call
            self.progress.spool_hit(org_id, stream.name)
            item.record = stream.to_record(org_id, spooled.payload, "webhook", event=spooled.version_event_id,
                                           arrival=spooled.received_at)
        else:
            doc = entry.row if entry.row is not None else self._detail(entry.doc_id)
            if doc is None:
                return item
            item.record = stream.to_record(org_id, doc, source="poll")
            now_changed = modified_instant(doc)
            if now_changed is not None and now_changed > entry.changed:  # edited since it was listed
                item.versions.append((f"{org_id}/{entry.doc_id}@{utc_text(now_changed)}", now_changed))
        item.event = self._event(item.record, utc_text(entry.changed))
        return item

    def _undated(self, entry: Listed, undated: ContentVersions) -> Fetched:
        """A new content version of a document Zoho sends without last_modified_time, if any."""
        doc = self._detail(entry.doc_id) if self.details else entry.row
        if doc is None:
            return Fetched(entry.doc_id)
        version = undated.new_version(entry.doc_id, entry.row, doc)
        item = Fetched(entry.doc_id, undated=undated.entry(entry.doc_id))
        if version is not None:
            item.record = self.stream.to_record(self.org_id, doc, source="poll", version=version)
            item.event = self._event(item.record, version)
        return item

    def _event(self, record: dict, version: str) -> dict:
        return {"version": version, "event_type": f"{self.stream.event_entity}.changed", "source": "poll",
                "key": record["_source_event_id"]}

    def _detail(self, doc_id: str) -> dict | None:
        """The document's detail; None if it was deleted meanwhile."""
        stream = self.stream
        try:
            body = self.api.get(f"/{stream.entity_path}/{doc_id}", self.org_id, {}, stream=stream.name)
        except DocumentNotFound:
            stream.logger.info("%s %s was deleted before its details were read; skipped", stream.event_entity, doc_id)
            return None
        return body[stream.detail_key]

    def _spooled_version(self, entry: Listed):
        spool = self.stream._tap.spool  # type: ignore[attr-defined]
        if spool is None:
            return None
        return spool.latest_version(self.org_id, self.stream.event_entity, entry.doc_id, utc_text(entry.changed))
