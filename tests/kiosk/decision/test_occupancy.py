"""The venue-wide count: an entry kiosk learns of the exits at another door from the registry."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from checkin_protocol.reasons import Reason
from checkin_protocol.records import Verdict
from kiosk.decision.occupancy import Snapshot, load_snapshot, save_snapshot
from registry.service import Registry
from support.doors import (
    NOON,
    Door,
    build_door,
    copy_list_key,
    door_config,
    registry_section,
    write_token,
)
from support.registry import RegistryServer

N = 3


@pytest.fixture
def two_doors(
    registry: Registry, server: RegistryServer, venue_dir: Path
) -> Iterator[tuple[Door, Door]]:
    registry.add_venue("test-venue", "Test Venue", timezone=NOON)
    copy_list_key(registry.settings.keys_dir, venue_dir)
    doors = []
    for kiosk_id, direction in (("in1", "entry"), ("out1", "exit")):
        write_token(venue_dir, f"{kiosk_id}.token", registry.add_kiosk("test-venue", kiosk_id))
        reg = registry_section(server.url, f"{kiosk_id}.token")
        cfg = door_config(
            venue_dir, kiosk_id, direction, registry=reg, extra=f"policy: {{max_occupancy: {N}}}\n"
        )
        doors.append(build_door(cfg))
    yield doors[0], doors[1]
    for d in doors:
        d.close()


def test_an_entry_kiosk_admits_again_once_the_exit_door_has_let_them_out(
    two_doors: tuple[Door, Door], make_pass: Callable[..., str]
) -> None:
    entry, exit_ = two_doors
    passes = [make_pass(name=f"Người Số {i}") for i in range(N)]
    for p in passes:
        assert entry.scan(p).decision.verdict is Verdict.PASS
    full = entry.scan(make_pass(name="Người Thừa"))
    assert (full.decision.verdict, full.decision.reason) == (Verdict.FAIL, Reason.FULL)
    assert entry.sync is not None and exit_.sync is not None
    entry.sync.cycle()  # the entries reach the registry
    for p in passes:
        assert exit_.scan(p).decision.verdict is Verdict.PASS
    exit_.sync.cycle()  # and the exits: the exit kiosk's answer says 0 inside
    assert exit_.count.inside(time.time()) == 0
    # The entry kiosk alone still counts its own 3 entries, until the registry tells it more.
    assert entry.loop.occupancy() == N
    entry.sync.heartbeat()
    snap = load_snapshot(entry.store)
    assert snap is not None and snap.inside == 0
    assert entry.loop.occupancy() == 0
    assert not entry.count.stale(snap.received)
    assert entry.scan(make_pass(name="Người Mới")).decision.verdict is Verdict.PASS
    # What it recorded since the registry counted is added until the next answer.
    assert entry.loop.occupancy() == 1


def test_records_not_yet_uploaded_count_on_top_of_the_registry_figure(
    two_doors: tuple[Door, Door], make_pass: Callable[..., str]
) -> None:
    entry, _ = two_doors
    entry.scan(make_pass())
    assert entry.sync is not None
    entry.sync.heartbeat()  # the registry has none of this kiosk's records yet: 0 inside
    snap = load_snapshot(entry.store)
    assert snap is not None and snap.inside == 0
    assert entry.loop.occupancy() == 1  # the pending entry still counts
    entry.sync.cycle()
    snap = load_snapshot(entry.store)
    assert snap is not None and snap.inside == 1
    assert entry.loop.occupancy() == 1  # counted once, by the registry


def test_an_old_or_missing_count_is_stale_and_a_damaged_one_ignored(
    two_doors: tuple[Door, Door],
) -> None:
    entry, _ = two_doors
    now = 1_800_000_000.0
    assert entry.count.stale(now)
    save_snapshot(entry.store, Snapshot(5, now - 10, now - 10))
    assert not entry.count.stale(now)
    assert entry.count.stale(now + 3 * 3600)
    # Yesterday's figure is not today's: only today's records count.
    assert entry.count.inside(now + 2 * 86400) == 0
    entry.store.set_meta("venue_occupancy", "not json")
    assert load_snapshot(entry.store) is None
