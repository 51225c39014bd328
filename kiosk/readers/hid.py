"""Keyboard-wedge scanners through evdev: grabbed, decoded by a US key table, letters checked."""

from __future__ import annotations

import contextlib
import re
import select
import time
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.config import HidReaderConfig, ReaderConfig
from kiosk.readers import SWITCH_TO_SERIAL, Scan, ScanSource
from kiosk.readers.framing import Framer
from kiosk.readers.keymap import KeyDecoder

if TYPE_CHECKING:
    import evdev

_ID12 = re.compile(r"\s*\d{12}\s*")
_VOWELS = frozenset("aeiouyAEIOUY")


def _word_lost_letters(word: str) -> bool:
    # Every Vietnamese syllable has a vowel. A word left with none had its only vowel
    # typed as a letter the wedge could not send ("Văn" → "Vn", "Lê" → "L", "Thị" → "Th").
    return any(c.isalpha() for c in word) and not any(c in _VOWELS for c in word)


def lossy_id_card(text: str, dropped: int = 0) -> bool:
    """True when `text` is a chip ID card (CCCD) code whose Vietnamese letters were lost.

    The shape is the decoder's: 6 or 7 `|` fields, the first a 12-digit number. Signs of loss
    in the name or the address: a key the wedge could not type (`dropped`),
    `?` or U+FFFD put in place of a letter, doubled or stray spaces left by dropped letters,
    or a word with no vowel left.
    """
    fields = text.split("|")
    if len(fields) not in (6, 7) or not _ID12.fullmatch(fields[0]):
        return False
    if dropped:
        return True
    name, address = fields[-5], fields[-2]
    for field in (name, address):
        if "?" in field or "\ufffd" in field:
            return True
        if field != field.strip() or "  " in field:
            return True
    return any(_word_lost_letters(w) for w in name.split())


class WedgeFramer:
    """Key events → codes, pure (no evdev): the HID reader and the tests both drive this."""

    def __init__(self, name: str, silence: float) -> None:
        self.name = name
        self._keys = KeyDecoder()
        self._framer = Framer(None, int(silence * 1e9))

    def deadline_ns(self) -> int | None:
        return self._framer.deadline_ns()

    def feed(self, type_: int, code: int, value: int, now_ns: int) -> list[Scan]:
        char = self._keys.feed(type_, code, value)
        if char is None:
            return []
        if char == KeyDecoder.END:
            return self._scans(self._framer.end(now_ns))
        return self._scans(self._framer.feed(char.encode("ascii"), now_ns))

    def expire(self, now_ns: int) -> list[Scan]:
        return self._scans(self._framer.expire(now_ns))

    def _scans(self, done: list[tuple[bytes, int]]) -> list[Scan]:
        if not done:
            return []
        dropped, self._keys.dropped = self._keys.dropped, 0
        scans = []
        for payload, at in done:
            lossy = lossy_id_card(payload.decode("ascii"), dropped)
            scans.append(Scan(payload, "hid", at, self.name, SWITCH_TO_SERIAL if lossy else None))
        return scans


class HidReader:
    """A keyboard-wedge scanner's evdev device, grabbed so its keys reach nothing else."""

    source: ScanSource = "hid"

    def __init__(self, name: str, device: Path, *, silence: float = 0.05) -> None:
        self.name = name
        self.device = device
        self._silence = silence
        self._wedge = WedgeFramer(name, silence)
        self._dev: evdev.InputDevice[str] | None = None

    def open(self) -> None:
        # Imported here: evdev comes from Debian (python3-evdev, no wheels on PyPI); a kiosk
        # without a wedge never needs it, and one without evdev reports the reader unusable.
        try:
            import evdev
        except ImportError as exc:
            raise OSError(f"python3-evdev is not installed ({exc})") from None

        self.close()
        self._wedge = WedgeFramer(self.name, self._silence)
        dev = evdev.InputDevice(str(self.device))
        try:
            # Exclusive: the scanned text must not also be typed into the kiosk's screen
            # (where a guard key like "a" would admit someone).
            dev.grab()
        except OSError:
            dev.close()
            raise
        self._dev = dev

    def close(self) -> None:
        dev, self._dev = self._dev, None
        if dev is None:
            return
        for release in (dev.ungrab, dev.close):
            # An unplugged device fails both; it is released either way.
            with contextlib.suppress(OSError):
                release()

    def read(self, timeout: float) -> list[Scan]:
        dev = self._dev
        if dev is None:
            raise OSError("HID reader is not open")
        end = time.monotonic_ns() + int(timeout * 1e9)
        while True:
            now = time.monotonic_ns()
            done = self._wedge.expire(now)
            if done or now >= end:
                return done
            deadline = self._wedge.deadline_ns()
            wake = end if deadline is None else min(end, deadline)
            ready, _, _ = select.select([dev.fd], [], [], max(0, wake - now) / 1e9)
            if not ready:
                continue
            done = []
            # An unplugged device raises OSError (ENODEV) here: the worker reopens it later.
            for event in dev.read():
                at = time.monotonic_ns()
                done += self._wedge.feed(event.type, event.code, event.value, at)
            if done:
                return done


def from_config(cfg: ReaderConfig, name: str) -> HidReader:
    assert isinstance(cfg, HidReaderConfig)  # the registry maps "hid" here
    return HidReader(name, Path(cfg.device), silence=cfg.silence)
