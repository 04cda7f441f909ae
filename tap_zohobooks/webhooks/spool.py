"""The durable spool: every accepted webhook delivery, stored once, before the receiver replies 2xx.

SQLite in WAL mode with `synchronous=FULL`: a committed delivery survives a crash or power loss.
Each row is one distinct delivery: a retried delivery (same event type, same document content) is
acknowledged and stored once, while `invoice.unpaid` after `invoice.updated` with the same content is
a second row naming the same version (`version_event_id`), so the event is kept without a new
version. `seq` orders deliveries as they arrived; the live tap remembers the last `seq` it emitted in
its state and marks rows `emitted_at`, and only emitted rows older than the retention are pruned
(spool_retention.py). Several processes share the file: the receiver writes, the live tap, the
poller and replay read.
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
# Columns added after the first release: an older spool file gains them when it is opened.
ADDED_COLUMNS = (("version_event_id", "TEXT"), ("delivery_sha256", "TEXT"), ("emitted_at", "TEXT"))
ADDED_INDEXES = """
CREATE INDEX IF NOT EXISTS events_version ON events (version_event_id, delivery_sha256);
CREATE INDEX IF NOT EXISTS events_unemitted ON events (emitted_at, received_at);
"""
COLUMNS = ("event_id, received_at, organization_id, entity, event_type, operation, document_id,"
           " last_modified_time, payload, seq, version_event_id")


def delivery_digest(event_type: str, payload_json: str) -> str:
    """What makes a delivery distinct: its event type and its document's content."""
    return hashlib.sha256(f"{event_type}\n{payload_json}".encode()).hexdigest()


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
    version_event_id: str = ""  # the version's event id (`_source_event_id`); set when stored

    @property
    def first_of_version(self) -> bool:
        """Whether this delivery brought its version (later ones only repeat it: unpaid, overdue, ...)."""
        return not self.version_event_id or self.version_event_id == self.event_id


class Spool:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()
        self._migrate()

    def _migrate(self) -> None:
        """Give a spool written by an earlier release the columns of this one (idempotent)."""
        known = {row[1] for row in self._db.execute("PRAGMA table_info(events)")}
        for name, kind in ADDED_COLUMNS:
            if name not in known:
                try:
                    self._db.execute(f"ALTER TABLE events ADD COLUMN {name} {kind}")
                except sqlite3.OperationalError as exc:  # another process added it meanwhile
                    if "duplicate column" not in str(exc):
                        raise
        self._db.executescript(ADDED_INDEXES)
        old = self._db.execute("SELECT seq, event_type, payload FROM events WHERE delivery_sha256 IS NULL").fetchall()
        for seq, event_type, payload in old:
            self._db.execute("UPDATE events SET version_event_id = COALESCE(version_event_id, event_id),"
                             " delivery_sha256 = ? WHERE seq = ?", (delivery_digest(event_type, payload), seq))

    def add(self, event: SpooledEvent) -> bool:
        """Store a delivery durably; False when the same delivery was already stored (a retry).

        `event.event_id` comes in as the version's event id. Zoho stamps versions to the second, so
        two saves in one second share it: a delivery with a known version id but different content is
        such a second save, a revision with its own version id (derived from the id and the content).
        A delivery of a stored version with another event type (`invoice.unpaid` after
        `invoice.updated`, same content) is a new row under the same version id. On return,
        `event.version_event_id` is the version's id and `event.event_id` the row's own.
        """
        payload = simplejson.dumps(event.payload, use_decimal=True, sort_keys=True)
        digest = hashlib.sha256(payload.encode()).hexdigest()
        delivery = delivery_digest(event.event_type, payload)
        version = event.event_id
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                known = self._db.execute("SELECT payload_sha256 FROM events WHERE event_id = ?", (version,)).fetchone()
                if known is not None and known[0] != digest:
                    version = hashlib.sha256(f"{version}|{digest}".encode()).hexdigest()
                if self._db.execute("SELECT 1 FROM events WHERE version_event_id = ? AND delivery_sha256 = ?",
                                    (version, delivery)).fetchone():
                    self._db.execute("COMMIT")
                    return False
                first = not self._db.execute("SELECT 1 FROM events WHERE event_id = ?", (version,)).fetchone()
                event.version_event_id = version
                event.event_id = version if first else hashlib.sha256(f"{version}|{delivery}".encode()).hexdigest()
                cursor = self._db.execute(
                    "INSERT OR IGNORE INTO events (event_id, received_at, organization_id, entity, event_type,"
                    " operation, document_id, last_modified_time, payload, payload_sha256, version_event_id,"
                    " delivery_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (event.event_id, event.received_at, event.organization_id, event.entity, event.event_type,
                     event.operation, event.document_id, event.last_modified_time, payload, digest, version,
                     delivery))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return cursor.rowcount == 1

    def _rows(self, where: str, params: tuple, limit: int | None = None) -> list[SpooledEvent]:
        sql = f"SELECT {COLUMNS} FROM events WHERE {where} ORDER BY seq"
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [SpooledEvent(*row[:8], simplejson.loads(row[8], use_decimal=True), row[9], row[10] or row[0])
                for row in rows]

    def after(self, seq: int, limit: int = 500) -> list[SpooledEvent]:
        return self._rows("seq > ?", (seq,), limit)

    def latest_version(self, organization_id: str, entity: str, document_id: str,
                       last_modified_time: str) -> SpooledEvent | None:
        """The last upsert received for this document version (its latest same-second revision);
        its `version_event_id` is the version's identity."""
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
        if event_ids:  # a delivery's own id, or a version's (the `_source_event_id` in BigQuery)
            marks = ", ".join("?" for _ in event_ids)
            where.append(f"(event_id IN ({marks}) OR version_event_id IN ({marks}))")
            params.extend([*event_ids, *event_ids])
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

    def mark_emitted(self, seqs: list[int]) -> None:
        """Note that these rows went out as records (live, replay, or a poll that used them)."""
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")
        with self._lock:
            for start in range(0, len(seqs), 500):
                chunk = seqs[start:start + 500]
                self._db.execute(f"UPDATE events SET emitted_at = ? WHERE emitted_at IS NULL AND seq IN"
                                 f" ({', '.join('?' for _ in chunk)})", (now, *chunk))

    def prune_emitted(self, received_before: str) -> int:
        """Delete emitted rows received before this instant; a row never emitted is always kept."""
        with self._lock:
            cursor = self._db.execute("DELETE FROM events WHERE emitted_at IS NOT NULL AND received_at < ?",
                                      (stored_time(received_before),))
            return cursor.rowcount

    def stats(self) -> tuple[int, int, str | None, int]:
        """(rows, bytes on disk, oldest receipt time, rows not yet emitted)."""
        with self._lock:
            rows, oldest, pending = self._db.execute(
                "SELECT COUNT(*), MIN(received_at), SUM(emitted_at IS NULL) FROM events").fetchone()
        size = sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())
        return rows, size, oldest, int(pending or 0)

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
