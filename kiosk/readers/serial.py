"""USB-CDC scanners through pyserial: raw bytes, so a chip ID card's UTF-8 name arrives intact."""

from __future__ import annotations

import contextlib
import select
import time
from pathlib import Path

import serial  # type: ignore[import-untyped]  # pyserial ships no type hints

from kiosk.config import ReaderConfig, SerialReaderConfig
from kiosk.readers import Scan, ScanSource
from kiosk.readers.framing import TERMINATORS, Framer


class SerialReader:
    """A scanner on a serial device (/dev/ttyACM0 or a pseudo-terminal in tests)."""

    source: ScanSource = "serial"

    def __init__(
        self,
        name: str,
        device: Path,
        *,
        baud: int = 115200,
        terminator: bytes | None = b"\r\n",
        silence: float = 0.05,
    ) -> None:
        self.name = name
        self.device = device
        self._baud = baud
        self._framer = Framer(terminator, int(silence * 1e9))
        self._terminator = terminator
        self._silence_ns = int(silence * 1e9)
        self._port: serial.Serial | None = None

    def open(self) -> None:
        self.close()
        # A fresh framer: half a code from before an unplug must not prefix the next one.
        self._framer = Framer(self._terminator, self._silence_ns)
        # timeout=0: reads never block; waiting is done by select() below with our timeout.
        # exclusive: a second kiosk process (or ModemManager) must not share the scanner.
        self._port = serial.Serial(str(self.device), self._baud, timeout=0, exclusive=True)

    def close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            # An unplugged device may fail to close; it is gone either way.
            with contextlib.suppress(OSError):
                port.close()

    def read(self, timeout: float) -> list[Scan]:
        port = self._port
        if port is None:
            raise OSError("serial reader is not open")
        end = time.monotonic_ns() + int(timeout * 1e9)
        while True:
            now = time.monotonic_ns()
            done = self._framer.expire(now)
            if done:
                return self._scans(done)
            if now >= end:
                return []
            deadline = self._framer.deadline_ns()
            wake = end if deadline is None else min(end, deadline)
            ready, _, _ = select.select([port.fileno()], [], [], max(0, wake - now) / 1e9)
            if not ready:
                continue
            # Readable with nothing to read means the device is gone: pyserial raises
            # SerialException (an OSError), which the worker reports as unplugged.
            data = port.read(max(1, port.in_waiting))
            done = self._framer.feed(data, time.monotonic_ns())
            if done:
                return self._scans(done)

    def _scans(self, done: list[tuple[bytes, int]]) -> list[Scan]:
        return [Scan(payload, "serial", at, self.name) for payload, at in done]


def from_config(cfg: ReaderConfig, name: str) -> SerialReader:
    assert isinstance(cfg, SerialReaderConfig)  # the registry maps "serial" here
    return SerialReader(
        name,
        Path(cfg.device),
        baud=cfg.baud,
        terminator=TERMINATORS[cfg.terminator],
        silence=cfg.silence,
    )
