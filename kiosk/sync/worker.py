"""The sync thread: uploads records until the registry has them, fetches lists, sends heartbeats."""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
import time
from collections.abc import Callable

from checkin_protocol.documents import DENY_LIST, TRUST_LIST, DocumentError
from checkin_protocol.messages import HeartbeatRequest, RecordStatus, VenueOccupancy
from checkin_protocol.times import parse_iso
from kiosk import __version__
from kiosk.config import RegistryConfig
from kiosk.decision.occupancy import Snapshot, save_snapshot
from kiosk.runtime.logs import RepeatingLog
from kiosk.runtime.service import Restart, Service
from kiosk.store import RecordStore, StorageError, utc_iso
from kiosk.sync.client import BadResponse, Refused, RegistryClient, SyncError, Unavailable
from kiosk.sync.lists import PATHS, ListState

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class SyncState:
    online: bool = False
    refused: bool = False
    message: str = "not started"
    last_ok: float | None = None
    host: str | None = None  # the registry URL that last answered


class SyncWorker(Service):
    """Registry errors are handled in `step` (offline, backoff). A crash (a bug, an
    unexpected error) restarts the thread with backoff: records wait safely in the store,
    so the kiosk keeps deciding rather than going out of order over an upload."""

    def __init__(
        self,
        store: RecordStore,
        client: RegistryClient,
        lists: ListState,
        cfg: RegistryConfig,
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        restart: Restart | None = None,
    ) -> None:
        super().__init__("sync", restart=restart or Restart(first=2.0, limit=cfg.backoff_max))
        self.stop_timeout = cfg.connect_timeout + cfg.read_timeout + 1
        self._store = store
        self._client = client
        self._lists = lists
        self._cfg = cfg
        self._clock = clock
        self._rng = rng or random.Random()
        self._wake = threading.Event()
        self._failures = 0
        self._next_lists = 0.0
        self._next_heartbeat = 0.0
        self._state_lock = threading.Lock()
        self._state = SyncState()
        # A registry down for a day fails every backoff: a line a minute, with the count.
        self._failing = RepeatingLog(log)
        offset = store.get_meta("clock_offset_ms")
        self._offset_ms: int | None = int(offset) if offset is not None else None

    # ------------------------------------------------------------ lifecycle

    def stop(self, timeout: float | None = None) -> bool:
        stopped = super().stop(timeout)
        self.close()
        return stopped

    def close(self) -> None:
        """Release the HTTP session (a one-shot `drain` calls this; the thread's exit does too)."""
        self._client.close()

    def wake(self) -> None:
        """A new record is waiting: upload it now rather than at the next interval (and a
        stop is seen at once)."""
        self._wake.set()

    @property
    def state(self) -> SyncState:
        with self._state_lock:
            return self._state

    def _set_state(self, **changes: object) -> None:
        with self._state_lock:
            self._state = dataclasses.replace(self._state, **changes)  # type: ignore[arg-type]

    # ------------------------------------------------------------ one step each

    def _note_offset(self, sent: float, received: float, server: float) -> None:
        self._offset_ms = int((server - (sent + received) / 2) * 1000)
        self._store.set_meta("clock_offset_ms", str(self._offset_ms))

    def _note_occupancy(self, found: VenueOccupancy | None) -> None:
        """Keep the registry's venue-wide count, on this kiosk's clock (after the records it
        acknowledged are marked synced, so none is counted twice or not at all)."""
        if found is None:
            return
        try:
            as_of = parse_iso(found.as_of) - (self._offset_ms or 0) / 1000
        except ValueError:
            self._failing.error("registry sent an unreadable count time %r", found.as_of[:40])
            return
        save_snapshot(self._store, Snapshot(found.inside, as_of, self._clock()))

    def push_batch(self) -> int:
        """Upload the oldest unsynced records; returns how many were settled."""
        batch = self._store.pending(self._cfg.batch_size)
        if not batch:
            return 0
        sent = self._clock()
        acks, server, occupancy = self._client.push([r.wire() for r in batch], self._offset_ms)
        self._note_offset(sent, self._clock(), server)
        synced, rejected = [], []
        for record, ack in zip(batch, acks, strict=True):
            if ack.id != record.id:
                raise BadResponse(f"result for {ack.id} where {record.id} was sent")
            if ack.status in (RecordStatus.ACCEPTED, RecordStatus.DUPLICATE):
                synced.append(record.id)
            else:
                rejected.append((record.id, ack.reason or "rejected"))
        # Only now, with the registry's answer in hand, is anything marked as synced.
        if synced:
            self._store.mark_synced(synced, self._clock())
        if rejected:
            log.error("registry rejected %d records, e.g. %s: %s", len(rejected), *rejected[0])
            self._store.mark_rejected(rejected)
        self._note_occupancy(occupancy)
        return len(batch)

    def refresh_lists(self) -> None:
        for name in (TRUST_LIST, DENY_LIST):
            envelope, etag = self._client.get_list(PATHS[name], self._lists.etag(name))
            now = self._clock()
            if envelope is None:
                self._lists.confirm(name, now)
                continue
            try:
                self._lists.apply(name, envelope, etag, now)
            except DocumentError as exc:
                # Keep the last good list; a tampered or rolled-back one is never installed.
                self._failing.error("%s from the registry refused: %s", name, exc)

    def heartbeat(self) -> None:
        status = self._store.status()
        versions = self._lists.versions()
        last = status["last_decision"]
        sent = self._clock()
        server, occupancy = self._client.heartbeat(
            HeartbeatRequest(
                version=__version__,
                queue_depth=status["queued"],
                last_decision=last["time"] if last else None,
                clock_offset_ms=self._offset_ms,
                trust_version=versions.get(TRUST_LIST),
                deny_version=versions.get(DENY_LIST),
            )
        )
        self._note_offset(sent, self._clock(), server)
        self._note_occupancy(occupancy)

    def cycle(self) -> None:
        """Everything due now; raises SyncError or StorageError on the first failure."""
        now = self._clock()
        if now >= self._next_lists:
            self.refresh_lists()
            self._next_lists = now + self._cfg.list_refresh
        while self.push_batch() >= self._cfg.batch_size and not self.stopping:
            pass
        if now >= self._next_heartbeat:
            self.heartbeat()
            self._next_heartbeat = now + self._cfg.heartbeat_interval

    def backoff(self, retry_after: float | None = None) -> float:
        """Exponential with jitter (0.5–1.5×), capped; a Retry-After from the registry wins."""
        if retry_after is not None:
            return min(retry_after, self._cfg.backoff_max)
        # The workers' one doubling schedule (Restart), spread so that a venue's kiosks do not
        # all come back at the same moment after an outage.
        base = Restart(first=1.0, limit=self._cfg.backoff_max).delay(self._failures)
        return min(self._cfg.backoff_max, base * self._rng.uniform(0.5, 1.5))

    def step(self) -> float:
        """One cycle with its error handling; returns how long to wait before the next."""
        try:
            self.cycle()
        except Unavailable as exc:
            self._failures += 1
            delay = self.backoff(exc.retry_after)
            self._failing.warning("registry unavailable (%s); retrying in %.1f s", exc, delay)
            self._set_state(online=False, refused=False, message=str(exc))
            return delay
        except Refused as exc:
            self._failures += 1
            self._failing.error("registry refused this kiosk's token: %s; records are kept", exc)
            self._set_state(online=False, refused=True, message="token refused")
            return self._cfg.backoff_max
        except (BadResponse, StorageError, SyncError) as exc:
            self._failures += 1
            self._failing.error("sync failed: %s", exc)
            self._set_state(online=False, message=str(exc))
            return self.backoff()
        self._failures = 0
        self._failing.flush()  # back online: how often it failed, and the next failure at once
        self._answered()
        return self._cfg.sync_interval

    def _answered(self) -> None:
        """Online, and through which host (for the strip and `kiosk status`)."""
        host = self._client.host
        if host != self.state.host:
            if self.state.host is not None:
                log.warning("registry: now syncing with %s (was %s)", host, self.state.host)
            self._store.set_meta("registry_host", host)
        self._set_state(online=True, refused=False, message="ok", last_ok=self._clock(), host=host)
        self._store.set_meta("last_sync_ok", utc_iso(self._clock()))

    def serve(self) -> None:
        while not self.stopping:
            delay = self.step()
            self._wake.wait(delay)
            self._wake.clear()

    def drain(self, progress: Callable[[int, int], None], deadline: float) -> bool:
        """Upload everything now (one-shot `kiosk sync`); False if the deadline passed first.

        `deadline` is a time.monotonic() value. Lists and a heartbeat go along.
        """
        total = self._store.queued()
        done = 0
        progress(done, total)
        first = True
        while True:
            try:
                if first:
                    self.refresh_lists()
                n = self.push_batch()
                done += n
                progress(min(done, total), total)
                if n == 0:
                    self.heartbeat()
                    self._answered()
                    return True
                first = False
                self._failures = 0
            except Unavailable as exc:
                self._failures += 1
                delay = self.backoff(exc.retry_after)
                self._failing.warning("registry unavailable (%s); retrying in %.1f s", exc, delay)
                self._set_state(online=False, message=f"registry unavailable: {exc}")
                if time.monotonic() + delay > deadline:
                    return False
                time.sleep(delay)
            except Refused as exc:
                log.error("registry refused this kiosk's token: %s; records are kept", exc)
                self._set_state(online=False, refused=True, message="token refused")
                return False
            except SyncError as exc:
                # The registry answered, but not as the protocol says (a 400, a wrong URL's
                # 404, a proxy's page): asking again now would get the same answer.
                self._set_state(online=False, message=f"unexpected answer from the registry: {exc}")
                return False
