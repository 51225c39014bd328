"""POSTs each decision to a building system's URL from its own thread; never blocks the screen."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from types import TracebackType
from typing import Any

import requests

from kiosk.config import HookConfig

log = logging.getLogger(__name__)


class DecisionHook:
    def __init__(self, cfg: HookConfig) -> None:
        self._cfg = cfg
        # Bounded: if the building system is down, old notices are dropped, not piled up.
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(maxsize=100)
        self._thread = threading.Thread(target=self._run, name="hook", daemon=True)
        self._session = requests.Session()
        self._stopping = threading.Event()
        self.sent = 0
        self.dropped = 0

    def __enter__(self) -> DecisionHook:
        self._thread.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stopping.set()  # what is still queued is dropped: the kiosk is stopping
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)
        self._thread.join(self._cfg.timeout + 1)
        self._session.close()

    def notify(self, event: dict[str, Any]) -> None:
        if event.get("verdict") not in self._cfg.on:
            return
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.dropped += 1

    def _run(self) -> None:
        while True:
            event = self._queue.get()
            if event is None or self._stopping.is_set():
                return
            try:
                resp = self._session.post(self._cfg.url, json=event, timeout=self._cfg.timeout)
                resp.raise_for_status()
                self.sent += 1
            except requests.RequestException as exc:
                log.warning("decision hook %s failed: %s", self._cfg.url, exc)
