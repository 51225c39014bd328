"""Which way the door counts people: entry or exit, switched by the guard."""

from __future__ import annotations

import threading

from checkin_protocol.records import Direction


class DoorState:
    """Which way the door counts people. The guard switches it and the screen shows it from
    the UI thread; the decision thread applies it to each decision. One lock, one owner."""

    def __init__(self, direction: Direction) -> None:
        self._lock = threading.Lock()
        self._direction = direction

    @property
    def direction(self) -> Direction:
        with self._lock:
            return self._direction

    def switch(self) -> Direction:
        """Entry ↔ exit; returns the new direction."""
        with self._lock:
            self._direction = (
                Direction.EXIT if self._direction is Direction.ENTRY else Direction.ENTRY
            )
            return self._direction
