"""What a decision becomes: its outcome, carried to every sink off the decision thread."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from checkin_protocol.records import mask_subject
from kiosk.policy.engine import Decision
from kiosk.runtime.service import Service
from kiosk.store import Record, utc_iso


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
        # A decision that could not be recorded (disk full, database locked) was not given:
        # the screen said "cannot record entries" and the door stayed shut. So its line has
        # no verdict; `not_recorded` says why and `decided` what the policy would have said.
        recorded = outcome.error is None
        line: dict[str, object] = {
            "time": outcome.record.created_utc if outcome.record else utc_iso(time.time()),
            "verdict": d.verdict.value if recorded else None,
            "reason": d.reason.value if d.reason else None,
            "code_kind": d.code_kind,
            "verified": bool(d.code and d.code.verified),
            "subject": mask_subject(d.code.subject if d.code else None),
            "record_id": outcome.record.id if outcome.record else None,
            "source": outcome.record.source.value if outcome.record else None,
            "latency_ms": round(outcome.latency_ms, 3),
        }
        if not recorded:
            line["not_recorded"] = outcome.error
            line["decided"] = d.verdict.value
        self._fh.write(json.dumps(line, ensure_ascii=False) + "\n")

    def close(self) -> None:
        self._fh.close()


Sink = Callable[[Outcome], None]


class OutcomeChannel(Service):
    """Carries each outcome from the decision thread to its sinks (door, hook, event log,
    observers, the screen's inbox) on a thread of its own: `publish` never blocks, so a slow
    sink cannot hold up the decoder, and none runs on the UI thread.

    A sink that raises crashes the channel: the door would no longer open on a PASS, so the
    kiosk goes out of order and exits non-zero rather than carry on half-wired.
    """

    def __init__(self, sinks: Sequence[Sink]) -> None:
        super().__init__("outcomes")
        self._sinks = list(sinks)
        self._queue: queue.SimpleQueue[Outcome | None] = queue.SimpleQueue()
        self._count_lock = threading.Lock()
        self._published = 0
        self._delivered = 0

    def publish(self, outcome: Outcome) -> None:
        with self._count_lock:
            self._published += 1
        self._queue.put(outcome)  # SimpleQueue.put never blocks

    @property
    def drained(self) -> bool:
        """Every outcome published so far has reached every sink."""
        with self._count_lock:
            return self._delivered == self._published

    def wake(self) -> None:
        self._queue.put(None)  # after what is queued: a stop delivers those first

    def serve(self) -> None:
        while True:
            try:
                outcome = self._queue.get(timeout=1.0)
            except queue.Empty:
                if self.stopping:
                    return
                continue
            if outcome is None:
                return
            for sink in self._sinks:
                sink(outcome)
            with self._count_lock:
                self._delivered += 1
