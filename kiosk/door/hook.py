"""POSTs each decision to a building system's URL from its own thread; never blocks the screen."""

from __future__ import annotations

import contextlib
import logging
import queue
from typing import Any

import requests

from kiosk.config import HookConfig
from kiosk.runtime.logs import RepeatingLog
from kiosk.runtime.service import Restart, Service

log = logging.getLogger(__name__)


class DecisionHook(Service):
    """A crash here restarts the thread with backoff: a building notice is a convenience,
    the door relay and the record are what count, so the kiosk keeps deciding."""

    def __init__(self, cfg: HookConfig, *, restart: Restart | None = None) -> None:
        super().__init__("hook", restart=restart or Restart(first=1.0, limit=60.0))
        self._cfg = cfg
        self.stop_timeout = cfg.timeout + 1
        # Bounded: if the building system is down, old notices are dropped, not piled up.
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(maxsize=100)
        self._session = requests.Session()
        self.sent = 0
        self.dropped = 0
        # A building system that is down fails every decision: a line a minute, with a count.
        self._failures = RepeatingLog(log)

    def stop(self, timeout: float | None = None) -> bool:
        stopped = super().stop(timeout)  # what is still queued is dropped: the kiosk is stopping
        self._session.close()
        return stopped

    def wake(self) -> None:
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)

    def notify(self, event: dict[str, Any]) -> None:
        if event.get("verdict") not in self._cfg.on:
            return
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.dropped += 1

    def serve(self) -> None:
        while not self.stopping:
            try:
                event = self._queue.get(timeout=1.0)
            except queue.Empty:
                continue
            if event is None or self.stopping:
                return
            self.post(event)

    def post(self, event: dict[str, Any]) -> None:
        try:
            resp = self._session.post(self._cfg.url, json=event, timeout=self._cfg.timeout)
            resp.raise_for_status()
            self.sent += 1
            self._failures.flush()  # working again: say how often it was not
        except requests.RequestException as exc:
            self._failures.warning("decision hook %s failed: %s", self._cfg.url, exc)
