"""Anti-passback: a pass that entered at any door of the venue enters again only after it left."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from checkin_protocol.reasons import Reason
from checkin_protocol.records import SubjectKind
from kiosk.config import AntiPassbackConfig
from kiosk.decision.occupancy import start_of_day
from kiosk.passes import PersonalCode
from kiosk.peers.ledger import PeerLedger
from kiosk.peers.wire import VenueKeys
from kiosk.store import RecordStore

Failure = tuple[Reason, str]


class AntiPassback:
    """The subject's latest PASS at this door or another (as heard from the peers) decides:
    an entry not followed by an exit refuses the next entry (for `minutes`, in that mode).

    An ID card's number is sealed afresh for every record, so no two records of one card
    match: ID cards are not held by this rule (signed passes and national QRs are).
    """

    def __init__(
        self,
        cfg: AntiPassbackConfig,
        store: RecordStore,
        zone: ZoneInfo,
        ledger: PeerLedger | None = None,
        keys: VenueKeys | None = None,
    ) -> None:
        self._cfg = cfg
        self._store = store
        self._zone = zone
        self._ledger = ledger
        self._keys = keys

    def window_start(self, now: float) -> float:
        if self._cfg.minutes is not None:
            return now - self._cfg.minutes * 60
        return start_of_day(now, self._zone)  # until an exit, within the venue's day

    def check(self, code: PersonalCode, now: float) -> Failure | None:
        subject = code.subject
        if subject is None or subject.kind is SubjectKind.SEALED:
            return None
        since = self.window_start(now)
        text = str(subject)
        seen = [self._store.last_pass(text, since)]
        if self._ledger is not None and self._keys is not None:
            seen.append(self._ledger.last_pass(self._keys.tag(text), since))
        latest = max((s for s in seen if s is not None), default=None)
        if latest is None or latest[1] != "entry":
            return None  # (in minutes mode the window is the last N minutes)
        return Reason.ALREADY_INSIDE, f"entered at {latest[0]}, no exit since"
