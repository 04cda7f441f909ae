"""A token bucket per source address: a flood from one address gets 429 before its body is read.

Behind a reverse proxy on the same host, uvicorn takes the source address from X-Forwarded-For
(it trusts that header only from 127.0.0.1), so the limit still applies per real sender.
"""

from __future__ import annotations

import time


class RateLimiter:
    def __init__(self, per_minute: float, max_tracked: int = 10_000) -> None:
        self.capacity = float(per_minute)
        self.rate = self.capacity / 60.0
        self.max_tracked = max_tracked
        self._buckets: dict[str, tuple[float, float]] = {}  # address → (tokens, last refill)

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    def allow(self, address: str) -> bool:
        """Take one token for this address; False when it has none left (answer 429)."""
        if not self.enabled:
            return True
        now = time.monotonic()
        tokens, last = self._buckets.get(address, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if len(self._buckets) >= self.max_tracked and address not in self._buckets:
            self._forget_full(now)
        if tokens < 1:
            self._buckets[address] = (tokens, now)
            return False
        self._buckets[address] = (tokens - 1, now)
        return True

    def _forget_full(self, now: float) -> None:
        """Drop addresses whose bucket has refilled: they carry no information."""
        for address, (tokens, last) in list(self._buckets.items()):
            if tokens + (now - last) * self.rate >= self.capacity:
                del self._buckets[address]
        if len(self._buckets) >= self.max_tracked:  # still full: a spread-out flood; start over
            self._buckets.clear()
