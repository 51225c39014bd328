"""Wiegand 26/34 out on two GPIO lines (gpiozero), from a thread that owns both pins."""

from __future__ import annotations

import contextlib
import logging
import queue
import time
from typing import Any

from kiosk.config import CredentialConfig, WiegandConfig
from kiosk.decision.outcome import Outcome
from kiosk.door.credential import Credential, credential_for, wiegand_bits
from kiosk.runtime.service import Service

log = logging.getLogger(__name__)

# Receivers end a frame after some milliseconds without a pulse; a tenth of a second between
# frames keeps two quick decisions from reading as one long frame.
FRAME_GAP = 0.1
# Sleeping is used up to this much before a pulse is due; the rest is spun, because a
# thread's wake-up (and the GIL's hand-back) is late by a millisecond or more on a busy
# machine, and the interval is as short as 200 µs: bench/wiegand.py measures it.
_SPIN_NS = 1_500_000


def _wait_until(deadline_ns: int) -> None:
    remaining = deadline_ns - time.perf_counter_ns()
    if remaining > _SPIN_NS:
        time.sleep((remaining - _SPIN_NS) / 1e9)
    while time.perf_counter_ns() < deadline_ns:
        pass


class WiegandOut(Service):
    """Sends each recorded decision's credential as one Wiegand frame.

    A pulse is a line pulled low (DATA0 for a 0, DATA1 for a 1) for `pulse_us`; pulses start
    `interval_us` apart. Every wait is measured from after the pin was written, so a pulse is
    never shorter, nor an interval, than configured; a busy machine can only make them longer.
    Not restarted on a crash: a panel that no longer hears the kiosk is a door that does not
    open, so the kiosk shows "out of order" and exits for systemd to start it again.
    """

    def __init__(
        self, cfg: WiegandConfig, credential: CredentialConfig, *, pin_factory: Any = None
    ) -> None:
        """`pin_factory`: gpiozero's (a MockFactory off the Pi); None for the board's."""
        super().__init__("wiegand")
        self._cfg = cfg
        self._credential = credential
        self._pin_factory = pin_factory
        self._lines: tuple[Any, Any] | None = None
        # Bounded: a frame takes under 0.1 s, so more than a few waiting means a stuck line;
        # a late credential must not open the door long after the visitor has gone.
        self._queue: queue.Queue[Credential | None] = queue.Queue(maxsize=8)
        self._quiet_from = 0  # perf_counter_ns after which the next frame may start
        self.sent = 0
        self.dropped = 0

    def start(self) -> None:
        from gpiozero import OutputDevice

        # active_high=False on a direct drive: "on" (a pulse) is the pin low. initial_value
        # False: both lines idle (high) from the first moment, whatever state they were in.
        active_high = self._cfg.inverted
        lines = []
        try:
            for pin in (self._cfg.data0, self._cfg.data1):
                lines.append(
                    OutputDevice(
                        pin,
                        active_high=active_high,
                        initial_value=False,
                        pin_factory=self._pin_factory,
                    )
                )
        except Exception:
            for line in lines:
                line.close()
            raise
        self._lines = (lines[0], lines[1])
        super().start()

    def stop(self, timeout: float | None = None) -> bool:
        stopped = super().stop(timeout)
        if stopped and self._lines is not None:
            for line in self._lines:
                try:
                    line.off()
                    line.close()
                except Exception as exc:  # a GPIO chip gone: the kiosk stops all the same
                    log.warning("wiegand: line not released: %s", exc)
            self._lines = None
        return stopped

    def wake(self) -> None:
        # Full: serve() is busy and sees `stopping` after its frame.
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)

    def offer(self, outcome: Outcome) -> None:
        """The outcome channel's sink: never blocks."""
        credential = credential_for(self._credential, outcome)
        if credential is not None:
            self.send(credential)

    def send(self, credential: Credential) -> None:
        try:
            self._queue.put_nowait(credential)
        except queue.Full:
            self.dropped += 1
            log.warning("wiegand: %d frames waiting; this one is dropped", self._queue.qsize())

    def serve(self) -> None:
        while not self.stopping:
            try:
                credential = self._queue.get(timeout=1.0)
            except queue.Empty:
                continue
            if credential is None or self.stopping:
                return
            _wait_until(self._quiet_from)
            self._frame(wiegand_bits(credential, self._cfg.bits))
            self._quiet_from = time.perf_counter_ns() + int(FRAME_GAP * 1e9)
            self.sent += 1

    def _frame(self, bits: list[int]) -> None:
        assert self._lines is not None  # started
        pulse_ns = self._cfg.pulse_us * 1000
        interval_ns = self._cfg.interval_us * 1000
        start = 0
        for i, bit in enumerate(bits):
            line = self._lines[bit]
            if i:
                _wait_until(start + interval_ns)
            line.on()
            try:
                start = time.perf_counter_ns()
                _wait_until(start + pulse_ns)
            finally:
                line.off()  # never leave a line held low: the panel would read it as a frame
