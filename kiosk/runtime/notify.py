"""systemd's notify protocol: READY, WATCHDOG on the decision loop's progress, STATUS, STOPPING."""

from __future__ import annotations

import logging
import os
import queue
from collections.abc import Callable, Mapping

from kiosk.runtime.service import Service

log = logging.getLogger(__name__)

# STATUS= is refreshed this often (seconds) when no watchdog asks for more often.
STATUS_INTERVAL = 5.0


def watchdog_interval(env: Mapping[str, str]) -> float | None:
    """Half of WatchdogSec= (as systemd advises), from $WATCHDOG_USEC; None when there is no
    watchdog for this process ($WATCHDOG_PID names another one, e.g. a parent's)."""
    usec = env.get("WATCHDOG_USEC", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    pid = env.get("WATCHDOG_PID", "")
    if pid and pid != str(os.getpid()):
        return None
    return int(usec) / 2e6


def _send(line: tuple[str, str | None]) -> None:
    # Imported here: cysystemd is a compiled module that needs libsystemd, and the kiosk
    # must run (tests, a laptop demo) where there is no systemd to talk to.
    from cysystemd.daemon import Notification, notify

    name, value = line
    kind = Notification[name]
    # return_exceptions: a lost notification is logged, never a crash of the kiosk.
    result = notify(kind, value) if value is not None else notify(kind)
    if isinstance(result, Exception):
        log.warning("sd_notify %s failed: %s", name, result)


class SystemdNotifier(Service):
    """Speaks to systemd from a thread of its own, so no notification waits on the render or
    decision thread. WATCHDOG=1 goes out only when `progress()` (the decision loop's count of
    turns, idle ones included) has moved since the last one: a hung decision loop stops the
    keep-alives even though this thread and the process live on, and systemd kills it.

    Does nothing at all when $NOTIFY_SOCKET is unset (not started by systemd).
    """

    def __init__(
        self,
        progress: Callable[[], int],
        status: Callable[[], str],
        env: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__("notify")
        env = os.environ if env is None else env
        self.enabled = bool(env.get("NOTIFY_SOCKET"))
        self.watchdog = watchdog_interval(env) if self.enabled else None
        self._progress = progress
        self._status = status
        self._asked: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._ready = False
        self._ready_asked = False  # on the asking (render) thread only
        self.sent: dict[str, int] = {}  # notifications sent, by name (status, logs)

    def ready(self) -> None:
        """Everything is up: sent once, from this service's thread. The render loop asks on
        every frame; only the first is queued (the queue would grow by one a frame, for
        ever where no systemd reads it)."""
        if self._ready_asked:
            return
        self._ready_asked = True
        self._asked.put("READY")

    def will_stop(self) -> None:
        """A stop was asked for: STOPPING=1 goes out before the parts stop."""
        self._asked.put("STOPPING")

    def wake(self) -> None:
        self._asked.put("")

    def _emit(self, name: str, value: str | None = None) -> None:
        _send((name, value))
        self.sent[name] = self.sent.get(name, 0) + 1

    def serve(self) -> None:
        if not self.enabled:
            return  # nothing to talk to: the thread ends at once
        tick = min(self.watchdog or STATUS_INTERVAL, STATUS_INTERVAL)
        last_progress = self._progress()
        last_status = ""
        while True:
            try:
                asked = self._asked.get(timeout=tick)
            except queue.Empty:
                asked = None
            if asked == "READY" and not self._ready:
                self._ready = True
                self._emit("READY")
            elif asked == "STOPPING":
                self._emit("STOPPING")
            if self.stopping:
                return
            progress = self._progress()
            if self.watchdog is not None and self._ready and progress != last_progress:
                self._emit("WATCHDOG")
            last_progress = progress
            status = self._status()
            if status != last_status:
                self._emit("STATUS", status)
                last_status = status
