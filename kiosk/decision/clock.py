"""Is the wall clock plausible? A Pi has no RTC: until NTP answers it may be days behind."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from kiosk.runtime.service import Restart, Service
from kiosk.store import RecordStore, StorageError, utc_iso

log = logging.getLogger(__name__)

# A clock stepped back by NTP by less than this still counts as set: a record a few seconds
# "in the future" after such a step is not a reason to close the door.
SLACK = 60.0


def build_floor(package: Path = Path(__file__).parents[1]) -> float:
    """The newest modification time among the kiosk's own files: the release was built, or at
    the latest installed, after it, so a clock earlier than that has not been set. Chosen over
    a constant baked at release, which a release could forget to bump."""
    return max((p.stat().st_mtime for p in package.rglob("*.py")), default=0.0)


def _issued_at(envelope: str) -> float:
    """A stored list's issued_at; the list was verified before it was stored (ListState)."""
    try:
        payload = json.loads(envelope)["payload"]
        body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(body["issued_at"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        return 0.0


class ClockWatch(Service):
    """Checks every `interval` seconds, on its own thread, that now is no earlier than the
    newest record, the stored lists' issued_at and the build (less SLACK); reads the registry's
    measured clock offset for the staff warning. The decision loop decides nothing while the
    clock is implausible, and the screen says so; both recover on the next check after NTP.
    """

    def __init__(
        self,
        store: RecordStore,
        *,
        clock: Callable[[], float],
        floor: float,
        interval: float = 3.0,
    ) -> None:
        super().__init__("clock", restart=Restart(first=2.0, limit=30.0))
        self._store, self._clock, self._build_floor = store, clock, floor
        self._interval = interval
        self._lock = threading.Lock()
        self._plausible = True
        self._offset_ms: int | None = None

    @property
    def plausible(self) -> bool:
        with self._lock:
            return self._plausible

    @property
    def offset_ms(self) -> int | None:
        """The registry's last measured offset of this clock (milliseconds), if any."""
        with self._lock:
            return self._offset_ms

    def _floor(self, now: float) -> float:
        """The latest time the clock is known to have passed, from what the database holds."""
        floor = self._build_floor
        # An index range scan: records stamped after now (plus slack) exist or not.
        if next(self._store.records(since=utc_iso(now + SLACK)), None) is not None:
            return now + SLACK + 1  # a record stamped later than now: proof enough
        for _, envelope, _, _ in self._store.lists().values():
            floor = max(floor, _issued_at(envelope))
        return floor

    def check(self) -> bool:
        """Check now (the start-up check, before the decision loop runs); the result."""
        now = self._clock()
        try:
            floor = self._floor(now)
            raw = self._store.get_meta("clock_offset_ms")
        except StorageError as exc:  # the database's own error is on screen; keep the last
            log.warning("clock check: %s", exc)
            return self.plausible
        plausible = now >= floor - SLACK
        with self._lock:
            changed = plausible != self._plausible
            self._plausible = plausible
            self._offset_ms = int(float(raw)) if raw and _number(raw) else None
        if changed and not plausible:
            log.error("clock not set: %s is earlier than %s", utc_iso(now), utc_iso(floor))
        elif changed:
            log.info("clock set: %s; deciding again", utc_iso(now))
        return plausible

    def serve(self) -> None:
        while not self.wait_stopping(self._interval):
            self.check()


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
