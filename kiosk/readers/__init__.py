"""Dedicated QR readers (USB serial, keyboard wedge, replay) handing scans to the decision loop."""

from __future__ import annotations

import collections
import importlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from kiosk.config import ReaderConfig
from kiosk.runtime.service import Restart, Service

log = logging.getLogger(__name__)

ScanSource = Literal["serial", "hid"]

# What staff see when a keyboard wedge has dropped the letters it cannot type.
SWITCH_TO_SERIAL = "switch the reader to USB serial (CDC) mode"

# A code longer than this with no end in sight is line noise or a stuck key, not a QR code
# (a chip ID card's QR is ~150 bytes; a signed pass well under 1 KiB).
MAX_CODE_BYTES = 4096


@dataclass(frozen=True)
class Scan:
    """One code read by a dedicated reader, as handed to the decision loop."""

    payload: bytes  # the code's bytes, terminator removed (UTF-8 text for a wedge)
    source: ScanSource
    at_mono_ns: int  # time.monotonic_ns() of the code's last byte or key: the latency origin
    reader: str = ""  # the reader's name, for logs and the status strip
    # Set when the reader could not deliver the code faithfully (a wedge that dropped the
    # Vietnamese letters of an ID card): the loop must not decide on the payload, only record
    # and show an unreadable scan with this hint for staff.
    unreadable_hint: str | None = None


class ReaderGone(OSError):
    """The device is not there (unplugged, not yet plugged in, or not ours to open)."""


class Reader(Protocol):
    """One scanner. Owned by one ReaderWorker thread; never called from anywhere else."""

    name: str
    source: ScanSource

    @property
    def device(self) -> Path | None:
        """The path polled for while the reader is unplugged; None when it has no device."""
        ...

    def open(self) -> None:
        """Open (and for a wedge, grab) the device; raises OSError if it cannot."""
        ...

    def read(self, timeout: float) -> list[Scan]:
        """The codes completed within at most `timeout` seconds (often none).

        Raises OSError when the device fails or vanishes; EOFError when a replay has ended.
        """
        ...

    def close(self) -> None:
        """Release the device; safe to call twice or after a failed open."""
        ...


# ---------------------------------------------------------------- the registry of reader types

ReaderFactory = Callable[[ReaderConfig, str], Reader]

# Config `type` → "module:factory". Modules are imported only when their type is chosen, so
# a kiosk without a keyboard wedge never imports evdev (Linux-only, built from source).
_TYPES: dict[str, str] = {
    "serial": "kiosk.readers.serial:from_config",
    "hid": "kiosk.readers.hid:from_config",
    "replay": "kiosk.readers.replay:from_config",
}


def register(type_name: str, factory: str) -> None:
    """Add a reader type ("module:function" taking the config and a name)."""
    _TYPES[type_name] = factory


def build_reader(cfg: ReaderConfig, name: str) -> Reader:
    try:
        target = _TYPES[cfg.type]
    except KeyError:
        raise ValueError(f"no reader type {cfg.type!r}") from None
    module, _, attr = target.partition(":")
    factory: ReaderFactory = getattr(importlib.import_module(module), attr)
    return factory(cfg, name)


def build_readers(configs: list[ReaderConfig]) -> list[Reader]:
    """One reader per config entry, named `reader1`, `reader2`… in config order."""
    return [build_reader(cfg, f"reader{i}-{cfg.type}") for i, cfg in enumerate(configs, 1)]


# ---------------------------------------------------------------- the hand-over


class ScanQueue:
    """Bounded hand-over from reader threads to the decision loop: `put` never blocks.

    When full (the loop has stalled) the oldest scan is dropped and counted: the person at the
    reader now is the one waiting for an answer. `notify` (the FrameSlot's poke) wakes a loop
    that waits for a camera frame, so a scan is decided without waiting out the frame timeout.
    """

    def __init__(self, maxsize: int = 16, notify: Callable[[], None] | None = None) -> None:
        self._cond = threading.Condition()
        self._scans: collections.deque[Scan] = collections.deque()
        self._maxsize = maxsize
        self.notify = notify
        self.dropped = 0

    def put(self, scan: Scan) -> None:
        with self._cond:
            if len(self._scans) >= self._maxsize:
                self._scans.popleft()
                self.dropped += 1
                log.warning("scan queue full: the oldest scan was dropped")
            self._scans.append(scan)
            self._cond.notify_all()
        if self.notify is not None:
            self.notify()

    def drain(self) -> list[Scan]:
        """Every waiting scan, oldest first, without waiting (what the loop calls per turn)."""
        with self._cond:
            scans = list(self._scans)
            self._scans.clear()
            return scans

    def get(self, timeout: float) -> Scan | None:
        """The oldest scan, waiting at most `timeout` seconds (a loop without a camera)."""
        with self._cond:
            self._cond.wait_for(lambda: bool(self._scans), timeout)
            return self._scans.popleft() if self._scans else None

    def __len__(self) -> int:
        with self._cond:
            return len(self._scans)


# ---------------------------------------------------------------- the worker


@dataclass(frozen=True)
class ReaderHealth:
    ok: bool = False
    message: str = "starting"  # one line for the status strip
    scans: int = 0
    reconnects: int = 0


class ReaderWorker(Service):
    """The one thread that owns a reader: opens it, reads, hands scans over, and while the
    device is missing polls for its path every `reopen_interval` seconds and reopens it.

    An unplugged reader is an expected condition, not a crash: it is reported in `status`
    and the camera and other readers carry on. A bug in a reader still crashes the worker
    (and the Restart policy, if given, brings it back).
    """

    def __init__(
        self,
        reader: Reader,
        scans: ScanQueue,
        *,
        reopen_interval: float = 1.0,
        read_timeout: float = 0.25,
        restart: Restart | None = None,
    ) -> None:
        super().__init__(f"read-{reader.name}", restart=restart)
        self.reader = reader
        self._scans = scans
        self._reopen_interval = reopen_interval
        self._read_timeout = read_timeout
        self._status_lock = threading.Lock()
        self._status = ReaderHealth()

    @property
    def status(self) -> ReaderHealth:
        with self._status_lock:
            return self._status

    def _report(self, ok: bool, message: str, *, scans: int = 0, reconnects: int = 0) -> None:
        with self._status_lock:
            s = self._status
            changed = (s.ok, s.message) != (ok, message)
            self._status = ReaderHealth(ok, message, s.scans + scans, s.reconnects + reconnects)
        if changed:
            (log.info if ok else log.warning)("%s: %s", self.reader.name, message)

    def _open(self) -> bool:
        device = self.reader.device
        if device is not None and not device.exists():
            self._report(False, f"{self.reader.name}: not connected ({device})")
            return False
        try:
            self.reader.open()
        except OSError as exc:
            self.reader.close()
            self._report(False, f"{self.reader.name}: cannot open ({exc.strerror or exc})")
            return False
        return True

    def _read_until_gone(self) -> bool:
        """Read until stopped (True) or the device fails (False)."""
        while not self.stopping:
            try:
                scans = self.reader.read(self._read_timeout)
            except OSError as exc:
                self._report(False, f"{self.reader.name}: unplugged ({exc.strerror or exc})")
                return False
            for scan in scans:
                self._scans.put(scan)
            if scans:
                self._report(True, f"{self.reader.name}: ready", scans=len(scans))
        return True

    def serve(self) -> None:
        opened_before = False
        try:
            while not self.stopping:
                if not self._open():
                    self.wait_stopping(self._reopen_interval)
                    continue
                self._report(True, f"{self.reader.name}: ready", reconnects=int(opened_before))
                opened_before = True
                try:
                    if self._read_until_gone():
                        return
                except EOFError:
                    self._report(True, f"{self.reader.name}: replay ended")
                    return
                finally:
                    self.reader.close()
                # The device failed: wait a moment so a flapping one is not reopened in a spin.
                self.wait_stopping(self._reopen_interval)
        finally:
            self.reader.close()
