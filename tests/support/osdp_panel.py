"""The building's panel for tests: libosdp's own control panel on the master end of a pty."""

from __future__ import annotations

import os
import threading
import time
import tty
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from osdp import Channel, ControlPanel, Event, LibFlag, LogLevel, PDInfo

from support.wiegand import decode

ADDRESS = 5


class MasterEnd(Channel):  # type: ignore[misc]  # libosdp is untyped
    """The panel's end of the pty: the bus as the panel sees it."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self.fd = fd

    def read(self, max_bytes: int) -> bytes:
        try:
            return os.read(self.fd, max_bytes)
        except (BlockingIOError, OSError):
            return b""

    def write(self, buf: bytes) -> int:
        try:
            return os.write(self.fd, buf)
        except BlockingIOError:
            return 0

    def flush(self) -> None:
        try:
            while os.read(self.fd, 4096):
                pass
        except (BlockingIOError, OSError):
            pass


class BusyPanel(ControlPanel):  # type: ignore[misc]
    """libosdp's control panel, its refresh turned every 2 ms rather than 20: the protocol
    (polls, acknowledgements, secure channel) is the library's; only the test is quicker."""

    @staticmethod
    def refresh(event: threading.Event, lock: Any, ctx: Any) -> None:
        while not event.is_set():
            with lock:
                ctx.refresh()
            time.sleep(0.002)


class Panel:
    """A building's panel with this kiosk enrolled as reader ADDRESS under `key` (None: a
    panel that speaks in clear, as before a secure channel is set up)."""

    def __init__(self, fd: int, key: bytes | None) -> None:
        info = (
            PDInfo(ADDRESS, MasterEnd(fd), scbk=key, flags=[LibFlag.EnforceSecure])
            if key is not None
            else PDInfo(ADDRESS, MasterEnd(fd))
        )
        self.cp = BusyPanel([info], log_level=LogLevel.Warning)
        self.cp.start()

    def online(self) -> bool:
        return bool(self.cp.is_online(ADDRESS))

    def secure(self) -> bool:
        return bool(self.cp.is_online(ADDRESS) and self.cp.is_sc_active(ADDRESS))

    def reads(self, into: list[tuple[int, int]], until: int, timeout: float = 120) -> None:
        """Card reads, decoded as (facility, number), appended until `until` are in."""
        end = time.monotonic() + timeout
        while len(into) < until and time.monotonic() < end:
            event = self.cp.get_event(ADDRESS, timeout=0.2)
            if event and event["event"] == Event.CardRead:
                data, length = event["data"], event["length"]
                bits = [(data[i // 8] >> (7 - i % 8)) & 1 for i in range(length)]
                into.append(decode(bits))

    def stop(self) -> None:
        self.cp.teardown()


@contextmanager
def pty_bus() -> Iterator[tuple[str, int]]:
    """A serial line: the kiosk opens the path (the slave end), the panel uses the fd."""
    master, slave = os.openpty()
    os.set_blocking(master, False)
    tty.setraw(slave)
    try:
        yield os.ttyname(slave), master
    finally:
        os.close(master)
        os.close(slave)


def write_key(path: Path, key: bytes) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, key.hex().encode() + b"\n")
    os.close(fd)
    return path
