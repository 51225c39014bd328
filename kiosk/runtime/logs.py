"""Repeating log lines: the first at once, then at most one a minute with a count of the repeats."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

EVERY = 60.0  # seconds between two lines of one kind


@dataclass
class _Kind:
    last_logged: float
    held: int = 0  # repeats not logged since the last line
    args: tuple[object, ...] = ()  # the latest repeat's arguments, for a flushed line


class RepeatingLog:
    """For warnings and errors that a loop can hit many times a second (a camera that will not
    open, a locked database, a registry that is down): a line per failure would bury every
    other line in the journal and wear the SD card, one a minute still says it goes on.

    A kind is the message template and level: the first line of a kind is logged at once;
    repeats within `every` seconds are only counted; the first one after that is logged with
    the count of those held back. `flush()` writes out what is still held (when the failure
    clears, or the worker stops), so no repeat goes uncounted.
    """

    def __init__(
        self,
        logger: logging.Logger,
        *,
        every: float = EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._every = every
        self._clock = clock
        # Callers are worker threads; some share one instance (the store's readers and writers).
        self._lock = threading.Lock()
        self._kinds: dict[tuple[int, str], _Kind] = {}

    def log(self, level: int, msg: str, *args: object) -> bool:
        """Log `msg % args` unless a line of its kind was logged less than `every` ago;
        True if it was written."""
        now = self._clock()
        with self._lock:
            kind = self._kinds.get((level, msg))
            if kind is None:
                self._kinds[(level, msg)] = _Kind(now)
                held = 0
            elif now - kind.last_logged < self._every:
                kind.held += 1
                kind.args = args
                return False
            else:
                held, kind.held, kind.last_logged = kind.held, 0, now
        if held:
            self._logger.log(level, msg + " (%d more like this since the last line)", *args, held)
        else:
            self._logger.log(level, msg, *args)
        return True

    def warning(self, msg: str, *args: object) -> bool:
        return self.log(logging.WARNING, msg, *args)

    def error(self, msg: str, *args: object) -> bool:
        return self.log(logging.ERROR, msg, *args)

    def flush(self) -> None:
        """Write one line for each kind with repeats held back; the next repeat of a kind is
        then logged at once (the failure is taken to have cleared)."""
        with self._lock:
            kinds, self._kinds = self._kinds, {}
        for (level, msg), kind in kinds.items():
            if kind.held:
                self._logger.log(level, msg + " (repeated %d more times)", *kind.args, kind.held)
