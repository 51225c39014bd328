"""A kiosk's side of the sync tests: its config, its database and its sync worker."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from checkin_protocol.records import CodeKind, Direction, Subject, SubjectKind, Verdict
from kiosk.app.core import build_core, build_sync
from kiosk.config import Config, load_config
from kiosk.store import NewRecord, RecordStore
from kiosk.sync.worker import SyncWorker
from registry.db.models import Record
from registry.service import Registry


class KioskSide:
    """A kiosk's config, database and sync worker, pointed at a registry URL."""

    def __init__(self, folder: Path, write_config: Callable[..., Path]) -> None:
        self.folder = folder
        self.write_config = write_config

    def config(self, url: str, policy: str = "", **registry: Any) -> Config:
        opts = {
            "url": url,
            "token_file": "kiosk.token",
            "list_key": "lists.pub",
            "batch_size": 7,
            "connect_timeout": "1s",
            "read_timeout": "1s",
            "backoff_max": "200ms",
            "sync_interval": "100ms",
            "list_refresh": "1h",
            "heartbeat_interval": "1h",
        }
        opts.update(registry)
        inner = ", ".join(f"{k}: {v}" for k, v in opts.items())
        return load_config(self.write_config(f"registry: {{{inner}}}\n" + policy))

    def worker(self, cfg: Config, store: RecordStore) -> SyncWorker:
        core = build_core(cfg, store)
        assert cfg.registry is not None and core.lists is not None
        return build_sync(cfg.registry, store, core.lists)


def add_records(store: RecordStore, n: int, kiosk_id: str = "k1") -> list[str]:
    ids = []
    for i in range(n):
        new = NewRecord(
            "test-venue",
            kiosk_id,
            Direction.ENTRY,
            CodeKind.SIGNED_PASS,
            Subject(SubjectKind.PASS, f"{i:032x}"),
            "A**",
            True,
            Verdict.PASS,
            None,
        )
        ids.append(store.add(new, now=time.time(), mono_ns=time.monotonic_ns()).id)
    return ids


def registry_ids(registry: Registry) -> list[str]:
    with registry.session() as s:
        return list(s.scalars(select(Record.id)))


def settle(worker: SyncWorker, store: RecordStore, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while store.status()["queued"] and time.monotonic() < deadline:
        time.sleep(min(worker.step(), 0.05))
    assert store.status()["queued"] == 0, worker.state
