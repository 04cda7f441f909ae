"""Zoho's per-organization limits (per minute, per day, in flight) and switchable faults for tests."""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from .config import SandboxConfig

RATE_LIMIT_44 = (
    "For security reasons your organization has been blocked as it have exceeded the maximum "
    "number of requests per minute that can originate from an organization."
)
CONCURRENCY_1070 = (
    "You have reached the maximum number of in process requests allowed. "
    "Kindly try again after some time."
)


def daily_quota_message(limit: int) -> str:
    return f"The API call for this organization has exceeded the maximum call rate limit of {limit}."


def seconds_until_utc_midnight() -> int:
    now = dt.datetime.now(dt.timezone.utc)
    tomorrow = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return int((tomorrow - now).total_seconds())


class OrgLimiter:
    """Admits or refuses a Books API call for an organization, as Zoho's 429 codes 44/45/1070 do."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._recent: dict[str, deque[float]] = defaultdict(deque)
        self._blocked_until: dict[str, float] = {}
        self._daily: dict[tuple[str, dt.date], int] = defaultdict(int)
        self._in_flight: dict[str, int] = defaultdict(int)

    def used_today(self, org_id: str) -> int:
        return self._daily[(org_id, dt.datetime.now(dt.timezone.utc).date())]

    def set_used_today(self, org_id: str, used: int) -> None:
        with self._lock:
            self._daily[(org_id, dt.datetime.now(dt.timezone.utc).date())] = used

    def acquire(self, org_id: str) -> tuple[int, str] | None:
        """Count a call; returns (code, message) when Zoho would answer 429, else None."""
        cfg = self.config
        now = time.monotonic()
        with self._lock:
            day_key = (org_id, dt.datetime.now(dt.timezone.utc).date())
            if self._daily[day_key] >= cfg.daily_quota:
                return 45, daily_quota_message(cfg.daily_quota)
            if self._blocked_until.get(org_id, 0.0) > now:
                return 44, RATE_LIMIT_44
            recent = self._recent[org_id]
            while recent and now - recent[0] >= cfg.rate_window_seconds:
                recent.popleft()
            if len(recent) >= cfg.requests_per_window:
                self._blocked_until[org_id] = now + cfg.rate_block_seconds
                return 44, RATE_LIMIT_44
            if self._in_flight[org_id] >= cfg.concurrency_limit:
                return 1070, CONCURRENCY_1070
            recent.append(now)
            self._daily[day_key] += 1
            self._in_flight[org_id] += 1
            return None

    def release(self, org_id: str) -> None:
        with self._lock:
            self._in_flight[org_id] -= 1

    def headers(self, org_id: str, refused_code: int | None = None) -> dict[str, str]:
        """The daily X-Rate-Limit-* headers and, when configured, the minute's (Retry-After on code 44)."""
        cfg, headers = self.config, {}
        if cfg.send_rate_limit_headers:
            headers.update({
                "X-Rate-Limit-Limit": str(cfg.daily_quota),
                "X-Rate-Limit-Remaining": str(max(0, cfg.daily_quota - self.used_today(org_id))),
                "X-Rate-Limit-Reset": str(seconds_until_utc_midnight()),
            })
        if cfg.send_minute_rate_limit_headers:
            remaining, frees_in = self._minute(org_id)
            headers.update({"X-Rate-Limit-Minute-Limit": str(cfg.requests_per_window),
                            "X-Rate-Limit-Minute-Remaining": str(remaining),
                            "X-Rate-Limit-Minute-Reset": f"{frees_in:.3f}"})
            if refused_code == 44:
                headers["Retry-After"] = str(max(1, math.ceil(frees_in)))
        return headers

    def _minute(self, org_id: str) -> tuple[int, float]:
        """(calls left in the window, seconds until the oldest call leaves it or the block ends)."""
        cfg, now = self.config, time.monotonic()
        with self._lock:
            recent = [t for t in self._recent[org_id] if now - t < cfg.rate_window_seconds]
            frees_in = recent[0] + cfg.rate_window_seconds - now if recent else 0.0
            frees_in = max(frees_in, self._blocked_until.get(org_id, 0.0) - now)
        return max(0, cfg.requests_per_window - len(recent)), max(frees_in, 0.0)


FAULT_KINDS = ("blank_200", "non_json_200", "http_500", "http_502", "http_503", "http_404", "slow", "invalid_token",
               "limit_44", "limit_45", "limit_1070")


@dataclass
class Fault:
    kind: str
    count: int
    path_contains: str = ""
    delay: float = 0.0  # seconds, for "slow"


class Faults:
    """Faults armed by a test; each applies to the next `count` matching Books API calls."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def arm(self, kind: str, count: int = 1, path_contains: str = "", delay: float = 0.0) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(FAULT_KINDS)}")
        with self._lock:
            self._faults.append(Fault(kind, int(count), path_contains, float(delay)))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.count > 0 and fault.path_contains in path:
                    fault.count -= 1
                    return fault
            return None
