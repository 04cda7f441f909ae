"""Progress of a long sync on stderr: documents done, calls used and left today, rate, ETA.

Fed by the API layer (every call and every list page, by organization and stream) and by the
stream's hooks (a document done, a detail call saved by the webhook spool). The total behind the
percentage and the ETA is the number of rows the list walk has listed so far; while Zoho says more
pages follow, it is a lower bound and the line says "at least". When the documents known to be
left need more calls than the organization has left today, one warning says so, with the number of
days the sync will take at the daily budget (docs/quota.md).
"""

from __future__ import annotations

import logging
import math
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

    def _of(self, org_id: str, stream: str) -> StreamProgress:
        return self.streams.setdefault((org_id, stream), StreamProgress())

    # --- fed by the API layer ------------------------------------------------------------------
    def called(self, org_id: str, stream: str) -> None:
        if org_id:
            self._of(org_id, stream).calls += 1
        if time.monotonic() - self._last_report >= self.interval:
            self.report()

    def answered(self, org_id: str, stream: str, path: str, body: dict) -> None:
        """A list page (a body with page_context) adds its rows to what the stream knows it must do."""
        context = body.get("page_context")
        if not org_id or not isinstance(context, dict) or path.count("/") != 1:
            return
        rows = next((len(v) for v in body.values() if isinstance(v, list)), 0)
        progress = self._of(org_id, stream)
        progress.listed += rows
        progress.more_pages = bool(context.get("has_more_page"))
        self._warn_if_days(org_id, stream)

    # --- fed by the stream (one-line hooks in client.py) ----------------------------------------
    def document_done(self, org_id: str, stream: str) -> None:
        self._of(org_id, stream).done += 1

    def spool_hit(self, org_id: str, stream: str) -> None:
        """A version the webhook spool already held: the detail call it saved."""
        self._of(org_id, stream).spooled += 1

    # --- output --------------------------------------------------------------------------------
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
        self._last_report = time.monotonic()
        for (org_id, stream), p in sorted(self.streams.items()):
            if p.calls == p.reported_calls:
                continue  # nothing new: a finished or waiting stream is not repeated
            p.reported_calls = p.calls
            elapsed = max(time.monotonic() - p.started, 1e-6)
            rate = p.calls / elapsed * 60
            left_docs = max(p.listed - p.done, 0)
            total = f"{'at least ' if p.more_pages else ''}{p.listed}"
            pace = p.done / elapsed
            eta = _duration(left_docs / pace) if pace > 0 and left_docs else ("done" if not left_docs else "?")
            left_today = self.quota.left_today(org_id)
            self.logger.info(
                "Progress: organization %s, %s: %d of %s documents; %d calls today (%s left); %.0f calls/min; "
                "ETA %s", org_id, stream, p.done, total, self.quota.used_today(org_id),
                "unknown" if left_today is None else left_today, rate, eta)

    def saved_by_spool(self, org_id: str) -> int:
        return sum(p.spooled for (o, _), p in self.streams.items() if o == org_id)
