"""The kiosk as an OSDP v2 reader (libosdp's peripheral device) that the building's panel polls."""

from __future__ import annotations

import collections
import contextlib
import logging
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import serial  # type: ignore[import-untyped]  # pyserial ships no type hints

from kiosk.config import CredentialConfig, OsdpConfig
from kiosk.config.door import read_scbk
from kiosk.decision.outcome import Outcome
from kiosk.door.credential import Credential, credential_for, wiegand_bytes
from kiosk.runtime.logs import RepeatingLog
from kiosk.runtime.service import Restart, Service

log = logging.getLogger(__name__)

# The panel polls every few tens of milliseconds; the device answers from its own refresh, so
# the loop turns a little faster than that, and faster still while reads wait to be sent.
IDLE_TURN = 0.02
BUSY_TURN = 0.004
# Reads handed to libosdp at once: each poll's reply carries one, and the next can go in the
# reply to the poll that acknowledges the last. More gains nothing and resends more.
WINDOW = 4
# A panel polls many times a second: reads in libosdp's hands with no word of them for this
# long were lost (a secure channel set up again between two turns, seen on a loaded machine,
# leaves them undelivered and unanswered): they are taken back and sent again, in order.
STALL = 5.0

# OSDP's colours (IEC 60839-11-5 / SIA OSDP v2.2 §6.10, osdp_LED colour codes).
_COLOURS = {
    0: None,
    1: "red",
    2: "green",
    3: "amber",
    4: "blue",
    5: "magenta",
    6: "cyan",
    7: "white",
}


@dataclass(frozen=True)
class PanelSignal:
    """What the panel asked its reader to show or sound. Times are in milliseconds (OSDP
    counts in tenths of a second); `colour` None is an LED turned off; a buzzer `count` of 0
    sounds until told otherwise."""

    kind: Literal["led", "buzzer"]
    colour: str | None = None
    off_colour: str | None = None
    on_ms: int = 0
    off_ms: int = 0
    count: int = 0
    lasting_ms: int = 0  # an LED's temporary setting: how long before it goes back


def panel_signal(command: dict[str, Any]) -> PanelSignal | None:
    """The panel's LED or buzzer command as a signal; None for any other command."""
    kind = command.get("command")
    from osdp import Command

    if kind == Command.LED:
        return PanelSignal(
            "led",
            colour=_COLOURS.get(int(command.get("on_color", 0))),
            off_colour=_COLOURS.get(int(command.get("off_color", 0))),
            on_ms=int(command.get("on_count", 0)) * 100,
            off_ms=int(command.get("off_count", 0)) * 100,
            lasting_ms=int(command.get("timer_count", 0)) * 100 if command.get("temporary") else 0,
        )
    if kind == Command.Buzzer:
        if int(command.get("control_code", 0)) == 1:  # 1: off (OSDP §6.11)
            return PanelSignal("buzzer")
        return PanelSignal(
            "buzzer",
            on_ms=int(command.get("on_count", 0)) * 100,
            off_ms=int(command.get("off_count", 0)) * 100,
            count=int(command.get("rep_count", 0)),
        )
    return None


class SerialLine:
    """libosdp's channel over pyserial: reads never block, writes wait at most a second."""

    def __init__(self, port: Any) -> None:
        self._port = port
        self.error: OSError | None = None
        self.id = 0

    def read(self, max_bytes: int) -> bytes:
        try:
            return bytes(self._port.read(max_bytes))
        except (OSError, serial.SerialException) as exc:
            self.error = self.error or OSError(str(exc))
            return b""

    def write(self, buf: bytes) -> int:
        try:
            return int(self._port.write(buf))
        except serial.SerialTimeoutException:
            return 0  # the line is jammed this turn; the device retries on the next poll
        except (OSError, serial.SerialException) as exc:
            self.error = self.error or OSError(str(exc))
            return 0

    def flush(self) -> None:
        with contextlib.suppress(OSError, serial.SerialException):
            self._port.reset_input_buffer()


class OsdpReader(Service):
    """Answers the panel's polls from a thread of its own; card reads for recorded decisions
    are sent in order, one at a time, each resent until the panel has taken it.

    libosdp's own queue of events is small and emptied when the panel goes away; so reads
    wait here, and a read is let go only when libosdp reports it delivered. A panel that
    restarts, or a secure channel set up again, gets the reads from where it left off. A
    serial adapter that fails is opened again after a backoff, the waiting reads kept.
    """

    def __init__(
        self,
        cfg: OsdpConfig,
        credential: CredentialConfig,
        *,
        on_signal: Callable[[PanelSignal], None] | None = None,
        restart: Restart | None = None,
    ) -> None:
        super().__init__("osdp", restart=restart or Restart(first=1.0, limit=30.0))
        self._cfg = cfg
        self._credential = credential
        self._on_signal = on_signal
        self._inbox: queue.SimpleQueue[Credential] = queue.SimpleQueue()
        # Owned by the thread: the reads not yet delivered, oldest first.
        self._pending: collections.deque[dict[str, Any]] = collections.deque()
        self._in_flight = 0  # how many of the first pending reads libosdp holds
        self._redo = False  # libosdp failed one: take them all back and send again
        self._progress = time.monotonic()  # when libosdp last took or delivered a read
        self._flushing = False
        self._port: Any = None
        self._line: SerialLine | None = None
        self._ctx: Any = None
        self._offline = RepeatingLog(log)
        self.sent = 0
        self.dropped = 0
        self.resent = 0
        self.signals = 0

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> None:
        self.open()  # a wrong port or key stops the start, as a missing relay pin does
        super().start()

    def stop(self, timeout: float | None = None) -> bool:
        stopped = super().stop(timeout)
        if stopped:
            self.close()
        return stopped

    def serve(self) -> None:
        try:
            if self._ctx is None:
                self.open()
            while not self.stopping:
                self.wait_stopping(self.turn())
        except BaseException:
            self.close()
            raise

    def open(self) -> None:
        import osdp_sys
        from osdp import Capability, LibFlag, PDCapabilities, PDInfo

        cfg = self._cfg
        key = read_scbk(cfg.scbk_file) if cfg.scbk_file is not None else None
        # exclusive: a second kiosk (or ModemManager) must not answer on the same bus.
        self._port = serial.Serial(
            str(cfg.port), cfg.baud, timeout=0, write_timeout=1.0, exclusive=True
        )
        self._line = SerialLine(self._port)
        flags = [LibFlag.EnforceSecure] if key is not None else []
        info = PDInfo(cfg.address, self._line, scbk=key, flags=flags, name="kiosk")
        capabilities = PDCapabilities(
            [
                (Capability.CardDataFormat, 1, 1),
                (Capability.LEDControl, 1, 1),
                (Capability.AudibleControl, 1, 1),
                (Capability.CommunicationSecurity, 1 if key is not None else 0, 1),
            ]
        )
        osdp_sys.set_loglevel(4)  # warnings and worse: a poll a few times a second is not news
        self._ctx = osdp_sys.PeripheralDevice(info.get(), capabilities=capabilities.get())
        self._ctx.set_command_callback(self._command)
        self._ctx.set_event_completion_callback(self._completed)
        self._in_flight = 0  # a new device has nothing of ours in hand
        self._redo = False

    def close(self) -> None:
        self._ctx = None
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(OSError, serial.SerialException):
                port.close()

    # ---------------------------------------------------------------- the outcome side

    def offer(self, outcome: Outcome) -> None:
        """The outcome channel's sink: never blocks."""
        credential = credential_for(self._credential, outcome)
        if credential is not None:
            self._inbox.put(credential)

    def send(self, credential: Credential) -> None:
        self._inbox.put(credential)

    @property
    def online(self) -> bool:
        ctx = self._ctx
        return bool(ctx is not None and ctx.is_online())

    @property
    def waiting(self) -> int:
        return len(self._pending) + self._inbox.qsize()

    # ---------------------------------------------------------------- the thread

    def turn(self) -> float:
        """One turn of the thread: take new reads, hand the next ones to libosdp when the
        panel is there to take them, answer what the panel sent. Returns the pause to take."""
        ctx, line = self._ctx, self._line
        assert ctx is not None  # opened
        assert line is not None
        self._take_new()
        ready = ctx.is_online() and (self._cfg.scbk_file is None or ctx.is_sc_active())
        stalled = ready and time.monotonic() - self._progress > STALL
        if self._in_flight and (self._redo or not ready or stalled):
            # The panel went away (or a read failed) with reads in hand: libosdp's copies
            # are dropped and ours go again, in order, when the panel is there.
            self._take_back()
        if ready:
            while self._in_flight < min(WINDOW, len(self._pending)):
                if not self._in_flight:
                    self._progress = time.monotonic()
                ctx.submit_event(self._pending[self._in_flight])
                self._in_flight += 1
        elif self._pending:
            self._offline.warning(
                "osdp: the panel is not polling; %d reads wait", len(self._pending)
            )
        ctx.refresh()
        if line.error is not None:
            raise line.error  # the adapter failed: opened again after a backoff
        if ready:
            self._offline.flush()
        return BUSY_TURN if self._pending else IDLE_TURN

    def _take_back(self) -> None:
        self._flushing = True  # what libosdp reports of the flushed reads is not news
        try:
            self._ctx.flush_events()
        finally:
            self._flushing = False
        self.resent += self._in_flight
        self._in_flight = 0
        self._redo = False

    def _take_new(self) -> None:
        from osdp import CardFormat, Event

        bits = self._cfg.bits
        while True:
            try:
                credential = self._inbox.get_nowait()
            except queue.Empty:
                return
            self._pending.append(
                {
                    "event": Event.CardRead,
                    "reader_no": 0,
                    "direction": 0,
                    "format": CardFormat.Wiegand,
                    "length": bits,
                    "data": wiegand_bytes(credential, bits),
                }
            )
            while len(self._pending) > self._cfg.queue:
                # The oldest read is the least use to a panel that is back: drop that.
                # Those in libosdp's hands stay, so the next oldest is dropped.
                if self._in_flight >= len(self._pending):
                    self._take_back()
                del self._pending[self._in_flight]
                self.dropped += 1
                log.warning("osdp: more than %d reads wait; the oldest is dropped", self._cfg.queue)

    def _completed(self, event: dict[str, Any], status: int) -> None:
        """libosdp's word on the oldest read in flight (called in `refresh`, on our thread)."""
        from osdp import CompletionStatus

        if self._flushing or not self._in_flight or event.get("data") != self._pending[0]["data"]:
            return  # not ours to count: a read taken back, already set to go again
        if status == CompletionStatus.Ok:
            self._pending.popleft()
            self._in_flight -= 1
            self.sent += 1
            self._progress = time.monotonic()
        else:
            self._redo = True  # failed or aborted: this one and those after it go again

    def _command(self, command: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
        signal = panel_signal(command)
        if signal is not None:
            self.signals += 1
            if self._on_signal is not None:
                try:
                    self._on_signal(signal)
                except Exception:  # the panel's command is answered whatever the screen did
                    log.exception("osdp: showing the panel's %s failed", signal.kind)
        return 0, None
