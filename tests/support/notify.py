"""systemd's side of sd_notify, for tests: a datagram socket that collects what a kiosk says."""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from pathlib import Path


class Listener:
    """systemd's side: a datagram socket that collects every line the kiosk sends."""

    def __init__(self) -> None:
        # A short path: AF_UNIX paths are limited to 108 bytes, pytest's tmp paths are long.
        self._dir = tempfile.TemporaryDirectory(prefix="sdn")
        self.path = str(Path(self._dir.name) / "notify")
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(self.path)
        self._sock.settimeout(0.1)
        self._lock = threading.Lock()
        self.lines: list[tuple[float, str]] = []  # (monotonic time, line)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        while not self._closed.is_set():
            try:
                data = self._sock.recv(4096)
            except TimeoutError:
                continue
            with self._lock:
                for line in data.decode().splitlines():
                    self.lines.append((time.monotonic(), line))

    def seen(self, prefix: str, since: float = 0.0) -> list[str]:
        with self._lock:
            return [line for t, line in self.lines if t >= since and line.startswith(prefix)]

    def close(self) -> None:
        self._closed.set()
        self._thread.join(2)
        self._sock.close()
        self._dir.cleanup()
