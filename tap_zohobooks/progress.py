"""Progress of a long sync on stderr: documents done of the total, calls used and left today, rate, ETA.

Fed by the API layer (every call, by organization and stream) and by the fetch workers (fetch.py:
the list pass's count, a document done, a detail call saved by the webhook spool). Each fetch
worker lists everything before its first detail call, so the total is known up front: one
"Listed:" line gives it with the time it takes at the minute cap, and every "Progress:" line shows
documents done of that total. When the work known for an organization needs more calls than it has
left today, one warning says so, with the number of days at its daily budget (docs/quota.md).
Workers run in threads: every change and every report holds one lock.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .shared_quota import SharedQuota

LIST_ROWS_PER_CALL = 200


@dataclass
class StreamProgress:
    calls: int = 0
    listed: int = 0
    more_pages: bool = True
    done: int = 0
    spooled: int = 0
    reported_calls: int = 0
    started: float = field(default_factory=time.monotonic)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class Progress:
    def __init__(self, quota: SharedQuota, logger: logging.Logger, interval: float) -> None:
        self.quota = quota
        self.logger = logger
        self.interval = interval
        self.streams: dict[tuple[str, str], StreamProgress] = {}
        self.daily_limit: dict[str, int] = {}
        self._warned: set[str] = set()
        self._last_report = time.monotonic()
        self._lock = threading.RLock()

    def _of(self, org_id: str, stream: str) -> StreamProgress:
        return self.streams.setdefault((org_id, stream), StreamProgress())

    # --- fed by the API layer ------------------------------------------------------------------
    def called(self, org_id: str, stream: str) -> None:
        with self._lock:
            if org_id:
                self._of(org_id, stream).calls += 1
            if time.monotonic() - self._last_report >= self.interval:
                self.report()

    # --- fed by the fetch workers (fetch.py) ---------------------------------------------------
    def listed(self, org_id: str, stream: str, documents: int, finished: bool) -> None:
        """The list pass found `documents` to fetch so far; `finished`: that is the total."""
        with self._lock:
            progress = self._of(org_id, stream)
            progress.listed, progress.more_pages = documents, not finished
            if not finished:
                return
            self.logger.info("Listed: organization %s, %s: %d documents to fetch; about %s at %d calls per %gs",
                             org_id, stream, documents, _duration(self._cap_seconds(documents)),
                             self.quota.per_window, self.quota.window)
            self._warn_if_days(org_id, stream)

    def document_done(self, org_id: str, stream: str) -> None:
        with self._lock:
            self._of(org_id, stream).done += 1

    def spool_hit(self, org_id: str, stream: str) -> None:
        """A version the webhook spool already held: the detail call it saved."""
        with self._lock:
            self._of(org_id, stream).spooled += 1

    # --- output --------------------------------------------------------------------------------
    def _cap_seconds(self, calls: int) -> float:
        """The least time `calls` calls of one organization take at its minute cap."""
        return calls / self.quota.per_window * self.quota.window

    def _calls_left_to_do(self, progress: StreamProgress) -> int:
        left = max(progress.listed - progress.done, 0)
        return left + (math.ceil(left / LIST_ROWS_PER_CALL) if progress.more_pages else 0)

    def _per_day(self, org_id: str) -> int | None:
        limits = [v for v in (self.quota.daily_budget, self.daily_limit.get(org_id)) if v]
        return min(limits) if limits else None

    def _warn_if_days(self, org_id: str, stream: str) -> None:
        """Say once per organization when today's calls will not cover the work known so far."""
        left_today, per_day = self.quota.left_today(org_id), self._per_day(org_id)
        if org_id in self._warned or left_today is None or not per_day:
            return
        needed = sum(self._calls_left_to_do(p) for (o, _), p in self.streams.items() if o == org_id)
        if needed <= left_today:
            return
        self._warned.add(org_id)
        known = "at least " if any(p.more_pages for (o, _), p in self.streams.items() if o == org_id) else ""
        self.logger.warning(
            "Organization %s (%s): %s%d calls still needed, %d left today: about %.1f days at %d calls a day; "
            "it will resume by itself on each scheduled run", org_id, stream, known, needed, left_today,
            needed / per_day, per_day)

    def report(self) -> None:
        with self._lock:
            self._last_report = time.monotonic()
            for (org_id, stream), p in sorted(self.streams.items()):
                if p.calls != p.reported_calls:  # a finished or waiting stream is not repeated
                    p.reported_calls = p.calls
                    self._report(org_id, stream, p)

    def _report(self, org_id: str, stream: str, p: StreamProgress) -> None:
        elapsed = max(time.monotonic() - p.started, 1e-6)
        left_today = self.quota.left_today(org_id)
        calls = (f"{self.quota.used_today(org_id)} calls today ({'unknown' if left_today is None else left_today} "
                 f"left); {p.calls / elapsed * 60:.0f} calls/min")
        if p.more_pages:  # still listing: the total is not known yet
            self.logger.info("Listing: organization %s, %s: %d documents to fetch so far; %s", org_id, stream,
                             p.listed, calls)
            return
        left_docs = max(p.listed - p.done, 0)
        if not left_docs:
            eta = "done"
        elif p.done:
            eta = _duration(left_docs / (p.done / elapsed))
        else:  # no pace yet: the organization's work left at its minute cap
            eta = _duration(self._cap_seconds(sum(max(q.listed - q.done, 0)
                                                  for (o, _), q in self.streams.items() if o == org_id)))
        self.logger.info("Progress: organization %s, %s: %d of %d documents; %s; ETA %s", org_id, stream, p.done,
                         p.listed, calls, eta)

    def saved_by_spool(self, org_id: str) -> int:
        with self._lock:
            return sum(p.spooled for (o, _), p in self.streams.items() if o == org_id)
