"""The readers' fake: codes from a text file, handed over as a scanner would, one per interval."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from kiosk.config import ReaderConfig, ReplayReaderConfig
from kiosk.readers import MAX_CODE_BYTES, SWITCH_TO_SERIAL, Scan, ScanSource
from kiosk.readers.hid import lossy_id_card


class ReplayReader:
    """Plays a UTF-8 file's lines as codes. As `hid` it applies the wedge's letter check, so
    the demo and tests see the unreadable-ID-card path without a scanner."""

    device: Path | None = None  # nothing to poll for

    def __init__(
        self,
        name: str,
        path: Path,
        *,
        source: ScanSource = "serial",
        interval: float = 2.0,
        loop: bool = False,
    ) -> None:
        self.name = name
        self.source = source
        self._path = path
        self._interval = interval
        self._loop = loop
        self._codes: list[bytes] = []
        self._next = 0
        self._due_ns = 0
        self._idle = threading.Event()  # never set: a sleep with a timeout

    def open(self) -> None:
        with self._path.open("rb") as f:
            data = f.read(1024 * 1024)  # a codes file, not a place for anything large
        lines = [line.rstrip(b"\r") for line in data.split(b"\n")]
        self._codes = [line for line in lines if line and len(line) <= MAX_CODE_BYTES]
        self._next = 0
        self._due_ns = time.monotonic_ns() + int(self._interval * 1e9)

    def close(self) -> None:
        self._codes = []

    def read(self, timeout: float) -> list[Scan]:
        if self._next >= len(self._codes):
            if not self._loop or not self._codes:
                raise EOFError("replay ended")
            self._next = 0
        wait = (self._due_ns - time.monotonic_ns()) / 1e9
        if wait > timeout:
            self._idle.wait(timeout)
            return []
        self._idle.wait(max(0.0, wait))
        code = self._codes[self._next]
        self._next += 1
        self._due_ns += int(self._interval * 1e9)
        hint = None
        if self.source == "hid":
            text = code.decode("utf-8", "replace")
            if not text.isascii() or lossy_id_card(text):
                hint = SWITCH_TO_SERIAL  # what a wedge would make of this code
        return [Scan(code, self.source, time.monotonic_ns(), self.name, hint)]


def from_config(cfg: ReaderConfig, name: str) -> ReplayReader:
    assert isinstance(cfg, ReplayReaderConfig)  # the registry maps "replay" here
    return ReplayReader(name, cfg.path, source=cfg.source, interval=cfg.interval, loop=cfg.loop)
