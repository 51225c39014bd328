"""The decision loop: newest frame → decode → dedupe → read → decide → commit → report."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO
from zoneinfo import ZoneInfo

from kiosk.camera import Frame
from kiosk.camera.capture import FrameSlot
from kiosk.config import Direction
from kiosk.decode import Decoder, Symbol
from kiosk.decode.dedupe import RepeatSuppressor
from kiosk.decode.diagnose import Locator, ScanFeedback, diagnose
from kiosk.passes import CodeReader, CodeRejected
from kiosk.passes.privacy import mask_subject
from kiosk.policy.engine import Decision, VenuePolicy, Verdict
from kiosk.store import NewRecord, Record, RecordStore, StorageError, utc_iso

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """One decision, after its record was committed (or failed to be: `error`)."""

    decision: Decision
    record: Record | None
    latency_ms: float
    error: str | None = None
    manual_reason: str | None = None


class EventLog:
    """Appends one JSON line per decision (`kiosk run --events FILE`)."""

    def __init__(self, path: Path) -> None:
        self._fh: IO[str] = path.open("a", encoding="utf-8", buffering=1)

    def write(self, outcome: Outcome) -> None:
        d = outcome.decision
        line = {
            "time": outcome.record.created_utc if outcome.record else utc_iso(time.time()),
            "verdict": d.verdict.value,
            "reason": d.reason.value if d.reason else None,
            "code_kind": d.code_kind,
            "verified": bool(d.code and d.code.verified),
            "subject": mask_subject(d.code.subject if d.code else None),
            "record_id": outcome.record.id if outcome.record else None,
            "latency_ms": round(outcome.latency_ms, 3),
        }
        if outcome.error:
            line["error"] = outcome.error
        self._fh.write(json.dumps(line, ensure_ascii=False) + "\n")

    def close(self) -> None:
        self._fh.close()


class DecisionLoop:
    """Runs in its own thread; never waits for the screen (outcomes go to a callback that
    must not block, e.g. queue.put_nowait)."""

    def __init__(
        self,
        *,
        slot: FrameSlot,
        decoder: Decoder,
        suppressor: RepeatSuppressor,
        reader: CodeReader,
        policy: VenuePolicy,
        store: RecordStore,
        venue_id: str,
        kiosk_id: str,
        needs_occupancy: bool,
        on_outcome: Callable[[Outcome], None],
        feedback: ScanFeedback | None = None,
        locator: Locator | None = None,
        retention: float,
        require_synced_for_purge: bool,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._slot = slot
        self._decoder = decoder
        self._suppressor = suppressor
        self._reader = reader
        self._policy = policy
        self._store = store
        self._venue_id = venue_id
        self._kiosk_id = kiosk_id
        self._needs_occupancy = needs_occupancy
        self._on_outcome = on_outcome
        self._feedback = feedback
        self._locator = locator
        self._retention = retention
        self._require_synced = require_synced_for_purge
        self._clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="decide", daemon=True)
        self._next_purge = 0.0
        self._last_error: tuple[str, int] | None = None
        self.frames = 0
        self.finished = threading.Event()

    def __enter__(self) -> DecisionLoop:
        self._thread.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(5.0)

    @property
    def direction(self) -> str:
        return self._policy.direction.value

    def switch_direction(self) -> str:
        """Entry ↔ exit (the guard's key); returns the new direction."""
        new = Direction.EXIT if self._policy.direction is Direction.ENTRY else Direction.ENTRY
        self._policy.direction = new
        return new.value

    def occupancy(self) -> int:
        return self._store.occupancy_since(self._start_of_today(self._clock()))

    def _start_of_today(self, now: float) -> float:
        tz: ZoneInfo = self._policy.timezone
        local = datetime.fromtimestamp(now, tz)
        return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()

    def _purge(self, now: float) -> None:
        if now < self._next_purge:
            return
        self._next_purge = now + 3600
        try:
            removed = self._store.purge(now - self._retention, require_synced=self._require_synced)
        except StorageError as exc:
            log.error("retention purge failed: %s", exc)
            return
        if removed:
            log.info("retention: purged %d records", removed)

    def decide(self, symbol: Symbol, now: float) -> Decision:
        try:
            code = self._reader.read(symbol.payload)
        except CodeRejected as err:
            return self._policy.rejected(err)
        occupancy = (
            self._store.occupancy_since(self._start_of_today(now)) if self._needs_occupancy else 0
        )
        return self._policy.decide(code, now, occupancy)

    def _help(self, frame: Frame, symbols: list[Symbol], readable: list[Symbol]) -> None:
        """Tell the screen where a code is and, if it does not read, why not."""
        if self._feedback is None:
            return
        if readable:
            self._feedback.seen(readable[0].corners, True)
            return
        corners = next((s.corners for s in symbols if len(s.corners) >= 3), None)
        if corners is None and self._locator is not None:
            corners = self._locator.locate(frame.luma, frame.captured_mono_ns / 1e9)
        if corners:
            self._feedback.seen(corners, False, diagnose(frame.luma, corners))

    def admit_manually(self, reason: str) -> Outcome:
        """A guard's manual admit: recorded like any decision, marked manual, with the reason."""
        mono = time.monotonic_ns()
        now = self._clock()
        new = NewRecord(
            venue_id=self._venue_id, kiosk_id=self._kiosk_id, direction=self.direction,
            code_kind="manual", subject=None, masked_name=None, verified=False,
            verdict=Verdict.PASS.value, reason=reason, manual=True,
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
        self._on_outcome(outcome)
        return outcome

    def process(self, frame: Frame) -> list[Outcome]:
        """Handle one frame; returns the outcomes it produced (also passed to on_outcome)."""
        self.frames += 1
        outcomes = []
        symbols = self._decoder.decode(frame.luma)
        readable = [s for s in symbols if s.error is None]
        self._help(frame, symbols, readable)
        for symbol in readable:
            if not self._suppressor.accept(symbol.payload, frame.captured_mono_ns / 1e9):
                continue
            now = self._clock()
            decision = self.decide(symbol, now)
            code = decision.code
            new = NewRecord(
                venue_id=self._venue_id,
                kiosk_id=self._kiosk_id,
                direction=self.direction,
                code_kind=decision.code_kind,
                subject=code.subject if code else None,
                masked_name=code.masked_name if code else None,
                verified=bool(code and code.verified),
                verdict=decision.verdict.value,
                reason=decision.reason.value if decision.reason else None,
            )
            try:
                record: Record | None = self._store.add(
                    new, now=now, mono_ns=frame.captured_mono_ns
                )
                error = None
            except StorageError as exc:
                # Not recorded means not shown as a verdict: the screen says it cannot record,
                # and the code is tried again with the next frame, so the kiosk recovers as
                # soon as the disk does. Logged once per distinct error a minute, not per frame.
                error = str(exc)
                if self._last_error != (error, int(now // 60)):
                    log.error("decision not recorded: %s", error)
                    self._last_error = (error, int(now // 60))
                self._suppressor.forget(symbol.payload)
                record = None
            latency = (time.monotonic_ns() - frame.captured_mono_ns) / 1e6
            outcome = Outcome(decision, record, latency, error)
            log.info(
                "%s %s %s %s (%.1f ms)",
                decision.verdict.value,
                decision.code_kind,
                decision.reason.value if decision.reason else "",
                mask_subject(new.subject) or "",
                latency,
            )
            self._on_outcome(outcome)
            outcomes.append(outcome)
        return outcomes

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._purge(self._clock())
                frame = self._slot.take(timeout=0.2)
                if frame is None:
                    if self._slot.ended:
                        break
                    continue
                self.process(frame)
        except Exception:  # a bug here must show as out-of-order, not as a frozen idle screen
            log.exception("decision loop crashed")
        finally:
            self.finished.set()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def suppressed(self) -> int:
        return self._suppressor.suppressed
