"""One scan per code held in view: repeats of the same payload are suppressed for a while."""

from __future__ import annotations


class RepeatSuppressor:
    """Accepts a payload unless the same payload was seen less than `window` seconds ago.

    The window runs from the *last* sighting, so a code held up for a minute is one scan;
    a different code is accepted at once. Memory stays bounded: entries older than the
    window are pruned as new ones arrive.
    """

    def __init__(self, window: float) -> None:
        self._window = window
        self._last_seen: dict[bytes, float] = {}
        self.suppressed = 0

    def accept(self, payload: bytes, now: float) -> bool:
        last = self._last_seen.get(payload)
        self._last_seen[payload] = now
        if last is not None and now - last < self._window:
            self.suppressed += 1
            return False
        if len(self._last_seen) > 64:
            cutoff = now - self._window
            self._last_seen = {p: t for p, t in self._last_seen.items() if t >= cutoff}
        return True

    def forget(self, payload: bytes) -> None:
        """Let this payload be scanned again at once (e.g. after a failure to record it)."""
        self._last_seen.pop(payload, None)
