"""The decision loop: newest frame → decode → dedupe → read → decide → commit → report.

Several codes in one frame. A pass often carries more than its QR code (a logo, a printed
number, a second code), and a decoder can read a corner of a pass as a small code of its own.
So the codes of a frame are sorted first: personal-code candidates are those whose payload
has a known format's shape (a signed pass `KP1:`, or fields separated by `|` as the ID card
formats have). When a frame holds at least one candidate, a code of no known format in the
same frame is ignored: not recorded, not shown, not remembered as a repeat, so a visitor's
PASS is never replaced on screen by a FAIL `not_personal_code` from a stray code beside it.
Two candidates are both decided, in the decoder's order. A frame with no candidate is
decided as before: a code that is not a pass is recorded and shown as such.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from checkin_protocol.kp1 import PREFIX
from checkin_protocol.privacy import mask_name
from checkin_protocol.reasons import Reason
from checkin_protocol.records import CodeKind, ReadSource, mask_subject
from kiosk.camera import Frame
from kiosk.camera.capture import FrameSlot
from kiosk.decision.direction import DoorState
from kiosk.decision.outcome import Outcome
from kiosk.decode import Decoder, Symbol
from kiosk.decode.cascade import Corners, Image, decode_frame
from kiosk.decode.dedupe import RepeatSuppressor
from kiosk.decode.diagnose import Locator, ScanFeedback, diagnose
from kiosk.passes import CodeReader, CodeRejected, payload_text
from kiosk.policy.engine import Decision, VenuePolicy, Verdict
from kiosk.readers import Scan, ScanQueue
from kiosk.runtime.logs import RepeatingLog
from kiosk.runtime.service import Service
from kiosk.store import NewRecord, Record, RecordStore, StorageError

log = logging.getLogger(__name__)


def personal_candidate(payload: bytes) -> bool:
    """The payload has the shape of a personal code format (see the module's docstring)."""
    text = payload_text(payload)
    return text is not None and (text.startswith(PREFIX) or "|" in text)


def codes_to_decide(readable: list[Symbol]) -> list[Symbol]:
    """The codes of one frame that are decided, in order: with a personal-code candidate in
    the frame, only the candidates; without one, every code."""
    candidates = [s for s in readable if personal_candidate(s.payload)]
    return candidates or readable


@dataclass(frozen=True)
class Recognition:
    """How codes reach the loop: camera frames through the slot, decoded and de-duplicated,
    and codes from dedicated readers; where a code is seen, the screen is told."""

    slot: FrameSlot
    decoder: Decoder
    suppressor: RepeatSuppressor
    # Codes from dedicated readers, taken between frames; the slot's poke wakes the loop.
    scans: ScanQueue | None = None
    # Without a camera the slot never ends: the loop runs until it is stopped.
    camera: bool = True
    feedback: ScanFeedback | None = None
    locator: Locator | None = None


@dataclass(frozen=True)
class Judgement:
    """How a code is judged: read into a personal code, then by the venue's policy, at the
    time the kiosk's clock gives (and only once that clock is set)."""

    reader: CodeReader
    policy: VenuePolicy
    needs_occupancy: bool = False
    # Who is inside the venue (occupancy.VenueCount: every door); None: this door's records.
    count: Callable[[float], int] | None = None
    clock: Callable[[], float] = time.time
    clock_set: Callable[[], bool] = lambda: True


@dataclass(frozen=True)
class Recording:
    """Where a decision goes: a record of this door in the store, then the outcome, to a
    callback that must not block (e.g. OutcomeChannel.publish)."""

    store: RecordStore
    venue_id: str
    kiosk_id: str
    on_outcome: Callable[[Outcome], None]


class DecisionLoop(Service):
    """Runs in its own thread; never waits for the screen (outcomes go to a callback that
    must not block, e.g. OutcomeChannel.publish).

    A crash is not restarted: the kiosk shows out-of-order and exits non-zero, and systemd
    restarts the whole process, which starts from a clean state (a decision loop that died
    mid-decision may have left its decoder or suppressor in any state).
    """

    def __init__(
        self, recognition: Recognition, judgement: Judgement, recording: Recording
    ) -> None:
        super().__init__("decide")
        self._recognition, self._judgement, self._recording = recognition, judgement, recording
        self._slot = recognition.slot
        self._suppressor = recognition.suppressor
        self._policy = judgement.policy
        self._store = recording.store
        self._clock = judgement.clock
        self._admits: queue.SimpleQueue[tuple[str, str | None]] = queue.SimpleQueue()
        # A full or locked disk fails every frame; a line a minute says so, with the count.
        self._storage_log = RepeatingLog(log)
        self._reader_log = RepeatingLog(log)
        self.door = DoorState(judgement.policy.direction)
        self.frames = 0
        self.turns = 0  # turns of serve(), idle ones too: the watchdog's sign of progress

    @property
    def direction(self) -> str:
        return self.door.direction.value

    def switch_direction(self) -> str:
        """Entry ↔ exit (the guard's key); returns the new direction."""
        return self.door.switch().value

    def occupancy(self) -> int:
        return self._inside(self._clock())

    def _inside(self, now: float) -> int:
        if self._judgement.count is not None:
            return self._judgement.count(now)
        return self._store.occupancy_since(self._start_of_today(now))

    def _start_of_today(self, now: float) -> float:
        tz: ZoneInfo = self._policy.timezone
        local = datetime.fromtimestamp(now, tz)
        return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()

    def decide(self, symbol: Symbol, now: float) -> Decision:
        try:
            code = self._judgement.reader.read(symbol.payload, now)
        except CodeRejected as err:
            return self._policy.rejected(err)
        occupancy = self._inside(now) if self._judgement.needs_occupancy else 0
        return self._policy.decide(code, now, occupancy)

    def _help(self, frame: Frame, symbols: list[Symbol], readable: list[Symbol]) -> None:
        """Tell the screen where a code is and, if it does not read, why not."""
        feedback = self._recognition.feedback
        if feedback is None:
            return
        if readable:
            feedback.seen(readable[0].corners, True)
            return
        # Where the decoder found no code, the Locator has had its look (decode_frame).
        corners = next((s.corners for s in symbols if len(s.corners) >= 3), None)
        if corners:
            feedback.seen(corners, False, diagnose(frame.luma, corners))

    def admit_manually(self, reason: str, name: str | None = None) -> None:
        """A guard's manual admit, asked for from the UI thread: recorded on the decision
        thread like any decision (the store is never written from the UI), then reported."""
        self._admits.put((reason, name))
        self._slot.poke()

    def _admit_waiting(self) -> None:
        while True:
            try:
                reason, name = self._admits.get_nowait()
            except queue.Empty:
                return
            self.admit(reason, name)

    def admit(self, reason: str, name: str | None = None) -> Outcome:
        """Record a manual admit now: marked manual, with the reason, and the name the guard
        typed, masked like a scanned one (the full name is kept nowhere)."""
        mono = time.monotonic_ns()
        now = self._clock()
        new = NewRecord(
            venue_id=self._recording.venue_id, kiosk_id=self._recording.kiosk_id,
            direction=self.door.direction,
            code_kind=CodeKind.MANUAL, subject=None,
            masked_name=mask_name(name) or None if name else None, verified=False,
            verdict=Verdict.PASS, reason=reason, manual=True, source=ReadSource.MANUAL,
        )  # fmt: skip
        decision = Decision(Verdict.PASS, None, None, f"manual: {reason}")
        try:
            record: Record | None = self._store.add(new, now=now, mono_ns=mono)
            error = None
        except StorageError as exc:
            record, error = None, str(exc)
        outcome = Outcome(
            decision, record, (time.monotonic_ns() - mono) / 1e6, error, manual_reason=reason
        )
        self._recording.on_outcome(outcome)
        return outcome

    def process(self, frame: Frame) -> list[Outcome]:
        """Handle one frame; returns the outcomes it produced (also passed to on_outcome)."""
        self.frames += 1
        self._policy.direction = self.door.direction  # as the guard last set it
        outcomes = []
        # Located but unread: read again from the full-resolution frame, then retried; where
        # nothing was located, the Locator looks (at its own pace), so blurred codes get
        # their retries and the visitor a hint.
        locator = self._recognition.locator
        at = frame.captured_mono_ns / 1e9

        def locate(luma: Image) -> Corners | None:
            return None if locator is None else locator.locate(luma, at)

        symbols = decode_frame(self._recognition.decoder, frame.luma, frame.full, locate)
        readable = [s for s in symbols if s.error is None]
        self._help(frame, symbols, readable)
        for symbol in codes_to_decide(readable):
            outcome = self._settle(symbol.payload, frame.captured_mono_ns, ReadSource.CAMERA)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    def process_scan(self, scan: Scan) -> Outcome | None:
        """One code from a dedicated reader: the same path as a code in a camera frame, with the
        same repeat suppression, so a code shown to the camera and the reader is one record."""
        self._policy.direction = self.door.direction
        if scan.unreadable_hint is not None:
            # A keyboard wedge dropped the letters it cannot type: the payload is not the
            # code, so it is not decided on. The visitor is refused as for a damaged code;
            # staff are told what to change.
            self._reader_log.warning("reader %s: %s", scan.reader, scan.unreadable_hint)
            rejected = CodeRejected(Reason.MALFORMED, scan.unreadable_hint, CodeKind.CCCD)
            decision = self._policy.rejected(rejected)
            return self._settle(scan.payload, scan.at_mono_ns, ReadSource(scan.source), decision)
        return self._settle(scan.payload, scan.at_mono_ns, ReadSource(scan.source))

    def _settle(
        self,
        payload: bytes,
        mono_ns: int,
        source: ReadSource,
        decision: Decision | None = None,
    ) -> Outcome | None:
        """Decide one code (unless decided already), commit its record, report the outcome."""
        if not self._suppressor.accept(payload, mono_ns / 1e9):
            return None
        now = self._clock()
        if decision is None:
            decision = self.decide(Symbol(payload, payload.decode("utf-8", "replace")), now)
        code = decision.code
        new = NewRecord(
            venue_id=self._recording.venue_id,
            kiosk_id=self._recording.kiosk_id,
            direction=self._policy.direction,
            code_kind=decision.code_kind,
            subject=code.subject if code else None,
            masked_name=code.masked_name if code else None,
            verified=bool(code and code.verified),
            verdict=decision.verdict,
            reason=decision.reason.value if decision.reason else None,
            source=source,
        )
        try:
            record: Record | None = self._store.add(new, now=now, mono_ns=mono_ns)
            error = None
            self._storage_log.flush()  # recorded again: say how often it was not
        except StorageError as exc:
            # Not recorded means not shown as a verdict: the screen says it cannot record,
            # and the code is tried again with the next frame, so the kiosk recovers as
            # soon as the disk does. Logged once a minute with a count, not per frame.
            error = str(exc)
            self._storage_log.error("decision not recorded: %s", error)
            self._suppressor.forget(payload)
            record = None
        latency = (time.monotonic_ns() - mono_ns) / 1e6
        outcome = Outcome(decision, record, latency, error)
        if record is not None:  # one not recorded is retried each frame: logged above
            # A PASS's detail is what the venue admits despite (an expired ID card, warned of
            # by policy.identity.expired_cards); a FAIL's may be a deny-list note: not logged.
            passed = decision.verdict is Verdict.PASS
            log.info(
                "%s %s %s %s (%.1f ms)%s",
                decision.verdict.value,
                decision.code_kind.value,
                decision.reason.value if decision.reason else "",
                mask_subject(new.subject) or "",
                latency,
                f": {decision.detail}" if passed and decision.detail else "",
            )
        self._recording.on_outcome(outcome)
        return outcome

    def serve(self) -> None:
        while not self.stopping:
            self.turns += 1
            # A clock that is not set (no RTC, no NTP yet) would stamp and judge wrongly: frames
            # are dropped and a guard's admits wait until it is set (the screen says so).
            clock_set = self._judgement.clock_set()
            if clock_set:
                self._admit_waiting()
                self._take_scans()
            frame = self._slot.take(timeout=0.2)
            if frame is not None:
                if clock_set:
                    self.process(frame)
            elif self._slot.ended and self._recognition.camera:
                self._admit_waiting()
                self._take_scans()
                return  # the replay has ended and its every frame was decided

    def _take_scans(self) -> None:
        if self._recognition.scans is not None:
            for scan in self._recognition.scans.drain():
                self.process_scan(scan)

    def wake(self) -> None:
        self._slot.poke()

    @property
    def suppressed(self) -> int:
        return self._suppressor.suppressed
