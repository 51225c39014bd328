"""One lifecycle for every worker thread: start, stop with a timeout, health; ended ≠ crashed."""

from __future__ import annotations

import enum
import logging
import threading
import traceback
from dataclasses import dataclass
from types import TracebackType
from typing import Self

log = logging.getLogger(__name__)


class State(enum.Enum):
    NEW = "new"
    RUNNING = "running"
    RESTARTING = "restarting"  # crashed, waiting out its backoff before running again
    ENDED = "ended"  # its work ran out (a replay that does not loop): a clean end
    STOPPED = "stopped"  # asked to stop, and did
    CRASHED = "crashed"  # an unexpected exception, and no restart policy


@dataclass(frozen=True)
class Health:
    state: State
    crashes: int = 0
    error: str | None = None  # the last crash, one line: "ValueError: ..."

    @property
    def crashed(self) -> bool:
        return self.state is State.CRASHED

    @property
    def finished(self) -> bool:
        """No longer running and never will again (ended, stopped or crashed)."""
        return self.state in (State.ENDED, State.STOPPED, State.CRASHED)


@dataclass(frozen=True)
class Restart:
    """Restart a crashed worker after `first` seconds, doubling up to `limit`.

    For workers whose failure only delays something (uploads, door notices): a kiosk that
    keeps deciding is better than one that restarts over a sync bug.
    """

    first: float = 1.0
    limit: float = 60.0

    def delay(self, crashes: int) -> float:
        return min(self.limit, self.first * 2.0 ** min(crashes - 1, 20))


class Service:
    """A worker thread. Subclasses implement `serve()`; returning from it means the work has
    ended, raising means it crashed. Without a `restart` policy a crash is final and the
    supervisor (the kiosk) decides what to do; with one the worker runs again after a backoff.
    """

    stop_timeout: float = 5.0

    def __init__(self, name: str, *, restart: Restart | None = None) -> None:
        self.name = name
        self._restart = restart
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._health = Health(State.NEW)
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)

    # ------------------------------------------------------------ for subclasses

    def serve(self) -> None:
        raise NotImplementedError

    def wake(self) -> None:
        """Interrupt whatever `serve` waits on so it sees `stopping` (override if it blocks)."""

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def wait_stopping(self, timeout: float) -> bool:
        """Sleep that a stop interrupts; True when stopping."""
        return self._stopping.wait(timeout)

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._set(State.RUNNING)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> bool:
        """Ask the worker to stop and wait for it; False if it did not stop within `timeout`."""
        self._stopping.set()
        self.wake()
        if self._thread.is_alive():
            self._thread.join(self.stop_timeout if timeout is None else timeout)
        if self._thread.is_alive():
            log.error("%s did not stop within its timeout", self.name)
            return False
        return True

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def health(self) -> Health:
        with self._lock:
            return self._health

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def _set(self, state: State, error: str | None = None, crashed: bool = False) -> None:
        with self._lock:
            h = self._health
            self._health = Health(
                state,
                h.crashes + crashed,
                error if error is not None else h.error,
            )

    def _main(self) -> None:
        while True:
            try:
                self.serve()
            except Exception as exc:  # a bug must be seen and acted on, never look like an end
                log.exception("%s crashed", self.name)
                one_line = traceback.format_exception_only(exc)[-1].strip()
                if self._restart is None or self.stopping:
                    self._set(State.CRASHED, one_line, crashed=True)
                    return
                self._set(State.RESTARTING, one_line, crashed=True)
                delay = self._restart.delay(self.health.crashes)
                log.warning("%s restarts in %.1f s", self.name, delay)
                if self._stopping.wait(delay):
                    self._set(State.STOPPED)
                    return
                self._set(State.RUNNING)
                continue
            self._set(State.STOPPED if self.stopping else State.ENDED)
            return
