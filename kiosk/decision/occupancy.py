"""How many are inside the venue: the registry's venue-wide count plus what it cannot know yet."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from kiosk.store import RecordStore

log = logging.getLogger(__name__)

SNAPSHOT_KEY = "venue_occupancy"


@dataclass(frozen=True)
class Snapshot:
    """The registry's count, on this kiosk's clock."""

    inside: int
    as_of: float  # when the registry counted, converted to this kiosk's clock (epoch s)
    received: float  # when this kiosk got it (its clock)


def save_snapshot(store: RecordStore, snap: Snapshot) -> None:
    store.set_meta(SNAPSHOT_KEY, json.dumps([snap.inside, snap.as_of, snap.received]))


def load_snapshot(store: RecordStore) -> Snapshot | None:
    raw = store.get_meta(SNAPSHOT_KEY)
    if raw is None:
        return None
    try:
        inside, as_of, received = json.loads(raw)
        return Snapshot(int(inside), float(as_of), float(received))
    except (ValueError, TypeError):  # written by this module only; a damaged one is ignored
        log.warning("ignoring an unreadable venue count %r", raw[:80])
        return None


class PeerCounts(Protocol):
    """What other doors of the venue recorded (kiosk.peers), as far as this kiosk has heard."""

    def occupancy_delta(self, since: float) -> int:
        """Entries minus exits (signed) recorded by the peers since `since` (epoch s)."""


def start_of_day(now: float, zone: ZoneInfo) -> float:
    local = datetime.fromtimestamp(now, zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


class VenueCount:
    """Entries minus exits today at every door of the venue, as well as this kiosk can know.

    With a registry count from today: that count, plus this kiosk's PASS records it cannot
    include (recorded after it or not uploaded yet), plus what the peers recorded after it.
    Without one (no registry, or none reached today): this kiosk's and its peers' records.
    A kiosk alone with neither counts only its own door, as before.
    """

    def __init__(
        self,
        store: RecordStore,
        zone: ZoneInfo,
        *,
        stale_after: float | None,
        peers: PeerCounts | None = None,
    ) -> None:
        self._store = store
        self._zone = zone
        self._stale_after = stale_after  # None: no registry, so never "stale"
        self.peers = peers

    def inside(self, now: float) -> int:
        start = start_of_day(now, self._zone)
        snap = load_snapshot(self._store) if self._stale_after is not None else None
        if snap is None or snap.as_of < start:
            mine = self._store.occupancy_unsettled(start, start)
            others = self.peers.occupancy_delta(start) if self.peers is not None else 0
            return max(0, mine + others)
        mine = self._store.occupancy_unsettled(start, snap.as_of)
        others = self.peers.occupancy_delta(snap.as_of) if self.peers is not None else 0
        return max(0, snap.inside + mine + others)

    def stale(self, now: float) -> bool:
        """The registry's count is missing or old: the figure may miss other doors' records."""
        if self._stale_after is None:
            return False
        snap = load_snapshot(self._store)
        return snap is None or now - snap.received > self._stale_after


Counter = Callable[[float], int]
