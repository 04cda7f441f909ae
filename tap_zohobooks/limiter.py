"""Client-side pacing: keep each organization under Zoho's 100 requests per minute.

Sliding window per organization: a call waits until fewer than `max_per_window` calls were made in the
last `window` seconds. Zoho counts per organization across all clients, so the default leaves headroom
for other integrations (max_requests_per_minute, default 90).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class OrgRateLimiter:
    def __init__(self, max_per_window: int, window: float = 60.0, sleep=time.sleep, clock=time.monotonic) -> None:
        if max_per_window < 1:
            raise ValueError("max_requests_per_minute must be at least 1")
        self.max_per_window = max_per_window
        self.window = window
        self._calls: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._sleep = sleep
        self._clock = clock
        self.waited = 0.0

    def acquire(self, org_id: str) -> None:
        while True:
            with self._lock:
                now = self._clock()
                calls = self._calls[org_id]
                while calls and now - calls[0] >= self.window:
                    calls.popleft()
                if len(calls) < self.max_per_window:
                    calls.append(now)
                    return
                pause = self.window - (now - calls[0]) + 0.01
            self.waited += pause
            self._sleep(pause)

    def block(self, org_id: str, seconds: float) -> None:
        """After Zoho's code 44, treat the whole window as used for `seconds`."""
        with self._lock:
            until = self._clock() + seconds - self.window
            self._calls[org_id] = deque([until] * self.max_per_window)
