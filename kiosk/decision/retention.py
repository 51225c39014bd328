"""Retention: records older than `storage.retention` deleted, hourly, on a thread of their own."""

from __future__ import annotations

import logging
from collections.abc import Callable

from kiosk.runtime.logs import RepeatingLog
from kiosk.runtime.service import Restart, Service
from kiosk.store import RecordStore, StorageError

log = logging.getLogger(__name__)


class RetentionPurge(Service):
    """Deletes the records older than the retention every `interval` seconds (first at start).

    Its own thread, not the decision loop's: a purge of a day's records can hold the database
    for a while, and a door must not wait on it. With a registry a record is deleted only once
    the registry has it (`require_synced`); the registry keeps its own retention. Nothing is
    purged while the clock is not set: a clock years ahead would delete everything. A failed
    purge (a locked or full disk) is tried again at the next turn; a crash restarts it.
    """

    def __init__(
        self,
        store: RecordStore,
        *,
        retention: float,
        require_synced: bool,
        clock: Callable[[], float],
        clock_set: Callable[[], bool] = lambda: True,
        interval: float = 3600.0,
    ) -> None:
        super().__init__("retention", restart=Restart(first=5.0, limit=600.0))
        self._store, self._retention, self._require_synced = store, retention, require_synced
        self._clock, self._clock_set, self._interval = clock, clock_set, interval
        self._log = RepeatingLog(log)
        self.purged = 0  # records deleted since start (status, tests)

    def purge_once(self) -> int:
        """One purge now; the number of records deleted (0 when it could not run)."""
        if not self._clock_set():
            return 0
        try:
            removed = self._store.purge(
                self._clock() - self._retention, require_synced=self._require_synced
            )
        except StorageError as exc:
            self._log.error("retention purge failed: %s", exc)
            return 0
        self._log.flush()
        if removed:
            log.info("retention: purged %d records", removed)
        self.purged += removed
        return removed

    def serve(self) -> None:
        while True:
            self.purge_once()
            if self.wait_stopping(self._interval):
                return
