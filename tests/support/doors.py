"""Several kiosks of one venue in this process: real config, store, policy, loop and sync."""

from __future__ import annotations

import os
import shutil
import textwrap
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk.app.core import build_core, build_count, build_sync, open_store
from kiosk.camera.capture import FrameSlot
from kiosk.config import Config, load_config
from kiosk.decision.loop import DecisionLoop, Judgement, Recognition, Recording
from kiosk.decision.occupancy import VenueCount
from kiosk.decision.outcome import Outcome
from kiosk.decode.dedupe import RepeatSuppressor
from kiosk.decode.zxing import ZxingDecoder
from kiosk.peers import Peers, build_passback, build_peers
from kiosk.readers import Scan
from kiosk.store import RecordStore
from kiosk.sync.worker import SyncWorker


def noon_zone() -> str:
    """A zone where it is about noon now: "today" stays the same day for the whole test
    run, whatever time the suite runs at (no local midnight resets a count mid-test)."""
    offset = (12 - datetime.now(UTC).hour + 12) % 24 - 12  # hours east of UTC, -12..11
    return f"Etc/GMT{'-' if offset >= 0 else '+'}{abs(offset)}"  # POSIX signs are inverted


NOON = noon_zone()


def write_token(folder: Path, name: str, token: str) -> None:
    fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, token.encode() + b"\n")
    os.close(fd)


@dataclass
class Door:
    """One kiosk: its config, database, venue count, decision loop and (optional) sync."""

    cfg: Config
    store: RecordStore
    count: VenueCount
    loop: DecisionLoop
    sync: SyncWorker | None
    peers: Peers | None = None
    seen: list[Outcome] = field(default_factory=list)

    def scan(self, payload: str) -> Outcome:
        """One code shown to this door's reader, decided and recorded as `run` would."""
        outcome = self.loop.process_scan(Scan(payload.encode(), "serial", time.monotonic_ns()))
        assert outcome is not None, "suppressed as a repeat"
        return outcome

    def close(self) -> None:
        if self.peers is not None:
            self.peers.worker.stop()
            self.peers.ledger.close()
            if self.peers.marks is not None:
                self.peers.marks.close()
        if self.sync is not None:
            self.sync.close()
        self.store.close()


def door_config(
    folder: Path,
    kiosk_id: str,
    direction: str,
    *,
    registry: str = "",
    extra: str = "",
) -> Config:
    """A venue config for kiosk `kiosk_id` in `folder` (issuer.pub there), database of its own."""
    text = textwrap.dedent(
        f"""\
        venue: {{id: test-venue, name: Test Venue, timezone: {NOON}}}
        kiosk: {{id: {kiosk_id}, direction: {direction}}}
        camera: {{type: none}}
        display: {{mode: headless}}
        trust: {{issuer_keys: [issuer.pub]}}
        storage: {{path: {kiosk_id}.db, min_free_mb: 0}}
        """
    )
    path = folder / f"{kiosk_id}.yaml"
    path.write_text(text + registry + textwrap.dedent(extra), encoding="utf-8")
    return load_config(path)


def registry_section(url: str, token_file: str, **overrides: Any) -> str:
    opts = {
        "url": url,
        "token_file": token_file,
        "list_key": "lists.pub",
        "connect_timeout": "1s",
        "read_timeout": "2s",
        "backoff_max": "200ms",
        "sync_interval": "100ms",
        "list_refresh": "1h",
        "heartbeat_interval": "1h",
    }
    opts.update(overrides)
    return "registry: {" + ", ".join(f"{k}: {v}" for k, v in opts.items()) + "}\n"


def copy_list_key(keys_dir: Path, folder: Path) -> None:
    shutil.copy(keys_dir / "lists.pub", folder / "lists.pub")


def build_door(cfg: Config) -> Door:
    """A door wired as `kiosk run` wires it (kiosk.app.build), without screen or camera;
    its peers thread, if configured, is started."""
    store = open_store(cfg.storage)
    store.open()
    core = build_core(cfg, store)
    count = build_count(cfg, store)
    peers = build_peers(cfg, store)
    count.peers = peers.ledger if peers is not None else None
    passback = build_passback(cfg, store, peers)
    if passback is not None:
        core.policy.passback = passback.check
    seen: list[Outcome] = []

    def on_outcome(outcome: Outcome) -> None:
        seen.append(outcome)
        if peers is not None:
            peers.worker.publish(outcome.record)

    loop = DecisionLoop(
        # Every scan is a visit: each is decided (no repeat window).
        Recognition(FrameSlot(), ZxingDecoder(), RepeatSuppressor(0.0), camera=False),
        Judgement(
            core.reader,
            core.policy,
            needs_occupancy=cfg.policy.max_occupancy is not None,
            count=count.inside,
        ),
        Recording(store, cfg.venue.id, cfg.kiosk.id, on_outcome),
    )
    sync = None
    if cfg.registry is not None and core.lists is not None:
        sync = build_sync(cfg.registry, store, core.lists)
    if peers is not None:
        peers.worker.start()
    return Door(cfg, store, count, loop, sync, peers, seen)
