"""Token buckets per key, in this process: enough for one `serve` process (say so if you scale)."""

from __future__ import annotations

import math
import threading
import time


class TokenBuckets:
    """`burst` requests at once per key, then one more every `refill` seconds.

    Held in memory: several server processes each allow the full rate, and a restart forgets.
    The table is bounded: past `max_keys` the longest-idle keys are forgotten (they would be
    full again by now or soon), so a flood of addresses cannot grow it without end.
    """

    def __init__(self, burst: int, refill: float, max_keys: int = 100_000) -> None:
        self.burst = burst
        self.refill = refill
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at), oldest first
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 if the key may go on (one token taken), else the seconds until it may."""
        now = time.monotonic()
        with self._lock:
            tokens, at = self._buckets.pop(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) / self.refill)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1 - tokens) * self.refill
            while len(self._buckets) > self.max_keys:
                del self._buckets[next(iter(self._buckets))]
        return wait


def retry_after(wait: float) -> str:
    return str(max(1, math.ceil(wait)))
