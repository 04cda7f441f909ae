"""The durable spool: every accepted webhook event, stored once, before the receiver replies 2xx.

SQLite in WAL mode with `synchronous=FULL`: a committed event survives a crash or power loss. The
event id is the primary key, so a repeated delivery is acknowledged and stored once. `seq` orders
events as they arrived; the live tap remembers the last `seq` it emitted in its state. Several
processes share the file: the receiver writes, the live tap, the poller and replay read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

import simplejson

from ..events import parse_instant

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL UNIQUE,
  received_at TEXT NOT NULL,
  organization_id TEXT NOT NULL,
  entity TEXT NOT NULL,
  event_type TEXT NOT NULL,
  operation TEXT NOT NULL,
  document_id TEXT NOT NULL,
  last_modified_time TEXT NOT NULL,
  payload TEXT NOT NULL,
  payload_sha256 TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_document ON events (organization_id, entity, document_id, last_modified_time);
CREATE INDEX IF NOT EXISTS events_received ON events (received_at);
CREATE TABLE IF NOT EXISTS readiness (probe INTEGER PRIMARY KEY, at TEXT NOT NULL);
"""


def stored_time(text: str) -> str:
    """An instant in the one text form `received_at` is stored in, so strings compare as instants."""
    return parse_instant(str(text)).isoformat(timespec="microseconds")


@dataclass
class SpooledEvent:
    event_id: str
    received_at: str  # ISO 8601, UTC, microseconds
    organization_id: str
    entity: str  # invoice, bill, purchaseorder, customer_payment, vendor_payment
    event_type: str  # invoice.updated, bill.deleted, ...
    operation: str  # upsert | delete
    document_id: str
    last_modified_time: str  # UTC text, as the tap emits it
    payload: dict  # the document, numbers as Decimal
    seq: int = 0


class Spool:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def add(self, event: SpooledEvent) -> bool:
        """Store an event durably; False when the same event (same id, same content) was already stored.

        Zoho stamps versions to the second, so two saves in one second share an event id. A delivery
        with a known event id but different content is such a second save: it is stored as a revision,
        with an id derived from the event id and its content (event.event_id is updated).
        """
        payload = simplejson.dumps(event.payload, use_decimal=True, sort_keys=True)
        digest = hashlib.sha256(payload.encode()).hexdigest()
        with self._lock:
            known = self._db.execute("SELECT payload_sha256 FROM events WHERE event_id = ?", (event.event_id,)).fetchone()
            if known is not None:
                if known[0] == digest:
                    return False
                event.event_id = hashlib.sha256(f"{event.event_id}|{digest}".encode()).hexdigest()
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO events (event_id, received_at, organization_id, entity, event_type, operation,"
                " document_id, last_modified_time, payload, payload_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (event.event_id, event.received_at, event.organization_id, event.entity, event.event_type,
                 event.operation, event.document_id, event.last_modified_time, payload, digest))
            return cursor.rowcount == 1

    def _rows(self, where: str, params: tuple, limit: int | None = None) -> list[SpooledEvent]:
        sql = ("SELECT event_id, received_at, organization_id, entity, event_type, operation, document_id,"
               f" last_modified_time, payload, seq FROM events WHERE {where} ORDER BY seq")
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [SpooledEvent(*row[:8], simplejson.loads(row[8], use_decimal=True), row[9]) for row in rows]

    def after(self, seq: int, limit: int = 500) -> list[SpooledEvent]:
        return self._rows("seq > ?", (seq,), limit)

    def latest_version(self, organization_id: str, entity: str, document_id: str,
                       last_modified_time: str) -> SpooledEvent | None:
        """The last upsert received for this document version (its latest same-second revision)."""
        found = self._rows("organization_id = ? AND entity = ? AND document_id = ? AND last_modified_time = ?"
                           " AND operation = 'upsert'", (organization_id, entity, document_id, last_modified_time))
        return found[-1] if found else None

    def received_since(self, organization_id: str, entity: str, document_id: str, since: str) -> bool:
        """Whether any event of this document arrived at or after `since` (ISO UTC)."""
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM events WHERE organization_id = ? AND entity = ? AND document_id = ? AND received_at >= ?"
                " LIMIT 1", (organization_id, entity, document_id, since)).fetchone()
        return row is not None

    def select(self, received_from: str | None = None, received_to: str | None = None,
               entity: str | None = None, event_ids: list[str] | None = None) -> list[SpooledEvent]:
        """Events by receipt time range [from, to) in any ISO form, entity and/or event ids."""
        where, params = ["1 = 1"], []
        if received_from:
            where.append("received_at >= ?")
            params.append(stored_time(received_from))
        if received_to:
            where.append("received_at < ?")
            params.append(stored_time(received_to))
        if entity:
            where.append("entity = ?")
            params.append(entity)
        if event_ids:
            where.append(f"event_id IN ({', '.join('?' for _ in event_ids)})")
            params.extend(event_ids)
        return self._rows(" AND ".join(where), tuple(params))

    def writable(self) -> bool:
        """Whether an event could be committed now: one real write (for readiness probes)."""
        try:
            with self._lock:
                self._db.execute("INSERT OR REPLACE INTO readiness (probe, at) VALUES (1, ?)",
                                 (dt.datetime.now(dt.timezone.utc).isoformat(),))
            return os.access(self.path, os.W_OK)
        except (sqlite3.Error, OSError):
            return False

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
