"""Zoho's per-organization limits, shared by every tap process on the machine (docs/quota.md).

Zoho counts calls per organization, whoever makes them: a poll, a history run and a reconcile pass
started at the same time must share one minute window, one daily budget and one concurrency limit.
They share them through a small SQLite database (WAL, one short `BEGIN IMMEDIATE` transaction per
decision) in the token cache directory, and through N slot lock files per organization held with
`flock` during each call, which the kernel releases when a process dies.

- Minute window: a log of call times per organization. A call is admitted while fewer than
  `per_window` calls are in the last `window` seconds; a call in flight counts whatever its age, and
  its time is then moved to the moment its answer arrived (Zoho counted it before that), so the
  window never frees early.
- Day: calls per organization per calendar day in `day_timezone` (UTC by default), checked against
  `daily_budget`; a new day starts a new count, so a stopped sync resumes by itself on the next run.
- A block (after 429 code 44, or a minute header saying none are left) pauses every process of the
  organization until the window frees.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (org_id TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS calls_by_org ON calls (org_id, at);
CREATE TABLE IF NOT EXISTS daily (org_id TEXT NOT NULL, day TEXT NOT NULL, used INTEGER NOT NULL,
                                  PRIMARY KEY (org_id, day));
CREATE TABLE IF NOT EXISTS orgs (org_id TEXT PRIMARY KEY, blocked_until REAL NOT NULL DEFAULT 0,
                                 zoho_remaining INTEGER, zoho_day TEXT);
"""
SLOT_POLL_SECONDS = 0.02
STALE_IN_FLIGHT_SECONDS = 600  # a call "in flight" this long belongs to a process that died


class QuotaExhausted(Exception):
    """The organization's daily quota (code 45) or the configured daily call budget is used up."""


def wall_clock() -> float:
    """Seconds since the epoch; every process of the machine agrees on it (tests may replace it)."""
    return time.time()


def quota_day(at: float, timezone: str) -> str:
    return dt.datetime.fromtimestamp(at, ZoneInfo(timezone)).date().isoformat()


@dataclass
class Ticket:
    """An admitted call: its row in the call log and the concurrency slot it holds."""

    org_id: str
    row: int
    slot: int | None


class SharedQuota:
    def __init__(self, directory: Path, per_window: int, window: float, concurrency: int,
                 daily_budget: int | None, day_timezone: str = "UTC", sleep=time.sleep) -> None:
        if per_window < 1:
            raise ValueError("max_requests_per_minute must be at least 1")
        if concurrency < 1:
            raise ValueError("max_concurrent_requests must be at least 1")
        try:
            ZoneInfo(day_timezone)
        except (ValueError, ZoneInfoNotFoundError):
            raise ValueError(f"quota_day_timezone {day_timezone!r} is not an IANA time zone (e.g. UTC, "
                             "Asia/Kolkata)") from None
        self.directory = directory
        self.per_window, self.window, self.concurrency = per_window, window, concurrency
        self.daily_budget = daily_budget
        self.day_timezone = day_timezone
        self._sleep = sleep
        self._local = threading.local()
        self.waited = 0.0
        self.path = directory / "quota.sqlite3"
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            with self._transaction() as db:
                for statement in filter(str.strip, SCHEMA.split(";")):
                    db.execute(statement)
                if "sent" not in {row[1] for row in db.execute("PRAGMA table_info(calls)")}:
                    db.execute("ALTER TABLE calls ADD COLUMN sent REAL")  # a database of an earlier version
        except (OSError, sqlite3.Error) as exc:
            raise ValueError(f"token_cache_dir {directory} must be a writable directory: the API quota shared "
                             f"by every run is kept there ({exc})") from None

    # --- the database ------------------------------------------------------------------------
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def today(self) -> str:
        return quota_day(wall_clock(), self.day_timezone)

    # --- admission -----------------------------------------------------------------------------
    def acquire(self, org_id: str) -> Ticket:
        """Wait for a free concurrency slot, then for room in the minute window; count the call today.

        The slot comes first, so the window is judged just before the call goes out: a caller that
        waited for a slot sees a pause another call's answer set meanwhile.
        """
        slot = self._take_slot(org_id)
        try:
            while True:
                wait = self._admit(org_id)
                if isinstance(wait, int):
                    return Ticket(org_id, wait, slot)
                self.waited += wait
                self._sleep(wait)
        except BaseException:
            if slot is not None:
                os.close(slot)
            raise

    def _admit(self, org_id: str) -> int | float:
        """The call's row id once admitted, else the seconds to wait before asking again."""
        now, day = wall_clock(), self.today()
        with self._transaction() as db:
            # A call in flight is logged at minus its admission time: it stays in the window however
            # long its answer takes (release() gives it the answer's time).
            db.execute("DELETE FROM calls WHERE org_id = ? AND ((at > 0 AND at <= ?) OR (at < 0 AND -at <= ?))",
                       (org_id, now - self.window, now - self.window - STALE_IN_FLIGHT_SECONDS))
            used = self._used(db, org_id, day)
            if self.daily_budget is not None and used >= self.daily_budget:
                raise QuotaExhausted(
                    f"daily_call_budget of {self.daily_budget} calls for organization {org_id} is used up for "
                    f"{day} ({self.day_timezone} day, shared by every run); the first run of the next day "
                    "resumes from the bookmark")
            blocked = db.execute("SELECT blocked_until FROM orgs WHERE org_id = ?", (org_id,)).fetchone()
            if blocked and blocked[0] > now:
                return blocked[0] - now
            count, oldest = db.execute("SELECT COUNT(*), MIN(CASE WHEN at > 0 THEN at END) FROM calls "
                                       "WHERE org_id = ?", (org_id,)).fetchone()
            if count >= self.per_window:  # with every call still in flight, ask again shortly
                return max(oldest + self.window - now, 0.005) if oldest is not None else SLOT_POLL_SECONDS
            row = db.execute("INSERT INTO calls (org_id, at, sent) VALUES (?, ?, ?)", (org_id, -now, now)).lastrowid
            db.execute("INSERT INTO daily (org_id, day, used) VALUES (?, ?, 1) "
                       "ON CONFLICT (org_id, day) DO UPDATE SET used = used + 1", (org_id, day))
            return int(row)

    def _take_slot(self, org_id: str) -> int | None:
        """Hold one of `concurrency` lock files of the organization (flock; freed if the process dies)."""
        while True:
            for index in range(self.concurrency):
                fd = os.open(self.directory / f"quota-{org_id}.slot{index}", os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                return fd
            self._sleep(SLOT_POLL_SECONDS)

    def release(self, ticket: Ticket, refused: bool = False) -> None:
        """The answer arrived: the call leaves the window `window` seconds from now; free its slot.

        A call Zoho refused with 429 is not in Zoho's window, so it leaves ours (it stays in the
        day's count, which errs on the safe side).
        """
        try:
            with self._transaction() as db:
                if refused:
                    db.execute("DELETE FROM calls WHERE rowid = ?", (ticket.row,))
                else:
                    db.execute("UPDATE calls SET at = ? WHERE rowid = ?", (wall_clock(), ticket.row))
        finally:
            if ticket.slot is not None:
                os.close(ticket.slot)  # closing the descriptor drops the flock

    # --- what Zoho told us -------------------------------------------------------------------
    def block_until_window_frees(self, org_id: str, retry_after: float | None, fallback: float) -> float:
        """After 429 code 44: pause every process of the org until the window frees; returns the pause.

        Zoho's Retry-After wins when sent; otherwise the shared log says when the oldest call Zoho
        still counts leaves the window: of the answered calls sent within the last window (Zoho
        received each after it was sent), the first answer plus the window. With no such call (another
        client used the minute up), `fallback` seconds.
        """
        now = wall_clock()
        with self._transaction() as db:
            if retry_after is not None:
                until = now + retry_after
            else:
                oldest = db.execute("SELECT MIN(at) FROM calls WHERE org_id = ? AND at > 0 AND sent > ?",
                                    (org_id, now - self.window)).fetchone()[0]
                until = oldest + self.window if oldest is not None else now + fallback
            self._block(db, org_id, until)
        return max(until - now, 0.0)

    def block_for(self, org_id: str, seconds: float) -> None:
        """A minute header said no call is left: pause the org's callers for `seconds`."""
        with self._transaction() as db:
            self._block(db, org_id, wall_clock() + seconds)

    @staticmethod
    def _block(db: sqlite3.Connection, org_id: str, until: float) -> None:
        db.execute("INSERT INTO orgs (org_id, blocked_until) VALUES (?, ?) ON CONFLICT (org_id) DO UPDATE "
                   "SET blocked_until = MAX(blocked_until, excluded.blocked_until)", (org_id, until))

    def note_zoho_remaining(self, org_id: str, remaining: int) -> None:
        """Zoho's X-Rate-Limit-Remaining (the day's calls left for the org, every client counted)."""
        with self._transaction() as db:
            db.execute("INSERT INTO orgs (org_id, zoho_remaining, zoho_day) VALUES (?, ?, ?) ON CONFLICT (org_id) "
                       "DO UPDATE SET zoho_remaining = excluded.zoho_remaining, zoho_day = excluded.zoho_day",
                       (org_id, remaining, self.today()))

    # --- what is left ------------------------------------------------------------------------
    @staticmethod
    def _used(db: sqlite3.Connection, org_id: str, day: str) -> int:
        row = db.execute("SELECT used FROM daily WHERE org_id = ? AND day = ?", (org_id, day)).fetchone()
        return int(row[0]) if row else 0

    def used_today(self, org_id: str) -> int:
        return self._used(self._db(), org_id, self.today())

    def left_today(self, org_id: str) -> int | None:
        """Calls left today: the smaller of our budget's rest and Zoho's last X-Rate-Limit-Remaining."""
        day = self.today()
        db = self._db()
        candidates = []
        if self.daily_budget is not None:
            candidates.append(max(0, self.daily_budget - self._used(db, org_id, day)))
        row = db.execute("SELECT zoho_remaining, zoho_day FROM orgs WHERE org_id = ?", (org_id,)).fetchone()
        if row and row[0] is not None and row[1] == day:
            candidates.append(int(row[0]))
        return min(candidates) if candidates else None
