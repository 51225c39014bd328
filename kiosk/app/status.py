"""The status strip's figures, read off the render loop's thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from kiosk.app.core import Core
from kiosk.config import Config
from kiosk.decision.loop import DecisionLoop
from kiosk.decision.occupancy import VenueCount
from kiosk.display.views import StatusBar
from kiosk.readers import ReaderWorker
from kiosk.runtime.service import Restart, Service
from kiosk.store import RecordStore, StorageError
from kiosk.sync.worker import SyncWorker


class StatusPoller(Service):
    """Reads the status strip's figures (occupancy, queue, sync, list age) every 2 s on its
    own thread, so the render loop never waits on the database. A crash restarts it with
    backoff: a stale strip is better than a kiosk out of order over a cosmetic figure."""

    def __init__(
        self,
        cfg: Config,
        store: RecordStore,
        loop: DecisionLoop,
        core: Core,
        sync: SyncWorker | None,
        interval: float = 2.0,
        readers: Sequence[ReaderWorker] = (),
        count: VenueCount | None = None,
    ) -> None:
        super().__init__("status", restart=Restart(first=2.0, limit=60.0))
        self._count = count
        self._readers = readers
        self._cfg, self._store, self._loop, self._core, self._sync = cfg, store, loop, core, sync
        self._interval = interval
        self._lock = threading.Lock()
        self._latest = StatusBar(direction=loop.direction)

    @property
    def latest(self) -> StatusBar:
        with self._lock:
            return self._latest

    def serve(self) -> None:
        while True:
            status = self.read()
            with self._lock:
                self._latest = status
            if self.wait_stopping(self._interval):
                return

    def read(self) -> StatusBar:
        try:
            occupancy = self._loop.occupancy()
            queued = self._store.queued() if self._sync is not None else None
            count_stale = self._count is not None and self._count.stale(time.time())
        except StorageError:
            occupancy, queued, count_stale = None, None, False
        stale = False
        max_age = self._cfg.policy.max_list_age
        lists = self._core.lists
        if lists is not None and max_age is not None:
            age = lists.age(time.time())
            stale = age is None or age > max_age
        return StatusBar(
            direction=self._loop.direction,
            occupancy=occupancy,
            occupancy_stale=count_stale,
            queued=queued,
            online=self._sync.state.online if self._sync is not None else None,
            lists_stale=stale,
            # An unplugged reader is reopened when it returns; meanwhile staff should know.
            reader_down=any(not r.status.ok for r in self._readers),
            registry_backup=self._backup_host(),
        )

    def _backup_host(self) -> int | None:
        """Which registry URL (counted from 1) the kiosk syncs through, when not the first."""
        registry = self._cfg.registry
        host = self._sync.state.host if self._sync is not None else None
        if registry is None or host is None:
            return None
        urls = [u.rstrip("/") for u in registry.url]
        return urls.index(host) + 1 if host in urls[1:] else None
