"""The `document_events` stream: every event of a document, not only every version.

A version row (in `invoices`, `bills`, ...) exists once per content; an event row exists once per
observation: each webhook delivery (also `invoice.unpaid` or `bill.overdue` for an unchanged
document), each new version a poll sees, each history backfill, each reconcile tombstone and each
replay. Each row names the version it refers to (`version_event_id`), so "when did Zoho flag this
invoice overdue?" is one query, while `<table>_current` only ever changes when the content does.

Events are written by whichever path observes them, interleaved with the documents' own records, so
they go out through `emit.write_record`; the stream's own sync has nothing left to read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from importlib import resources
from typing import Any, Iterable

from singer_sdk import Tap
from singer_sdk.streams import Stream

from . import emit

STREAM_NAME = "document_events"


class DocumentEventsStream(Stream):
    name = STREAM_NAME
    primary_keys = ["event_key"]
    replication_key = None

    def __init__(self, tap: Tap) -> None:
        schema = json.loads(resources.files("tap_zohobooks.schemas").joinpath(f"{STREAM_NAME}.json").read_text())
        super().__init__(tap, schema=schema)

    def get_records(self, context: dict | None) -> Iterable[dict[str, Any]]:
        return iter(())  # written as they happen, by EventRecorder


class EventRecorder:
    """Writes one `document_events` record per observation (its SCHEMA first, once per run)."""

    def __init__(self, tap: Tap, stream: DocumentEventsStream) -> None:
        self._tap = tap
        self._stream = stream
        self._schema_written = False
        self.recorded = 0

    def record(self, *, key: str, organization_id: str, entity: str, document_id: str, event_type: str,
               source: str, operation: str, version: str | None, version_event_id: str | None,
               last_modified_time: str | None, arrival: str | None = None, details: dict | None = None) -> None:
        """Record one event. `key` names the observation within its source (a delivery id, a version
        seen by a poll, a log id, ...): the same observation recorded twice gets the same event_key."""
        if not self._stream.selected:
            return
        if not self._schema_written:
            emit.write_schema(self._tap, self._stream)
            self._schema_written = True
        event_key = hashlib.sha256(f"{source}|{key}".encode()).hexdigest()
        event = {
            "event_key": event_key, "organization_id": organization_id, "entity": entity,
            "document_id": document_id, "event_type": event_type, "source": source, "operation": operation,
            "version": version, "version_event_id": version_event_id, "last_modified_time": last_modified_time,
            "details": details or None,
        }
        record = {**event, "_source_event_id": event_key, "_source": source, "_operation": "upsert",
                  "_arrival_ts": arrival or dt.datetime.now(dt.timezone.utc).isoformat(), "_raw": event}
        emit.write_record(self._tap, self._stream, record)
        self.recorded += 1
