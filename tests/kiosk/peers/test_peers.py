"""Several doors of one venue on loopback, the registry stopped, one door cut off and back."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from checkin_protocol.reasons import Reason
from checkin_protocol.records import Verdict
from kiosk.decision.occupancy import load_snapshot
from registry.service import Registry
from support.doors import (
    NOON,
    Door,
    copy_list_key,
)
from support.lan import LAYOUT, Venue, close_venue, make_venue
from support.registry import RegistryServer
from support.timing import wait_for


@pytest.fixture
def venue(registry: Registry, own_server: RegistryServer, venue_dir: Path) -> Iterator[Venue]:
    registry.add_venue("test-venue", "Test Venue", timezone=NOON)
    copy_list_key(registry.settings.keys_dir, venue_dir)
    made = make_venue(venue_dir, registry, own_server.url)
    yield made
    close_venue(made)


@pytest.fixture
def lan_venue(venue_dir: Path) -> Iterator[Venue]:
    """The same three doors with no registry configured at all."""
    made = make_venue(venue_dir)
    yield made
    close_venue(made)


def verdict(door: Door, code: str) -> tuple[Verdict, Reason | None]:
    d = door.scan(code).decision
    return d.verdict, d.reason


# The registry only gives the starting count here: its database kind does not matter.
@pytest.mark.parametrize("registry_db", ["sqlite"], indirect=True)
def test_doors_agree_without_the_registry_through_a_partition(
    venue: Venue, own_server: RegistryServer, make_pass: Callable[..., str]
) -> None:
    a, b, c = (venue.doors[n] for n in LAYOUT)
    # The registry's count (0) once, then it stops: from here on only the LAN carries news.
    for door in (a, b, c):
        assert door.sync is not None
        door.sync.heartbeat()
        snap = load_snapshot(door.store)
        assert snap is not None and snap.inside == 0
    own_server.stop()
    p1, p2 = make_pass(name="Trần Thị Bình"), make_pass(name="Lê Văn Cường")

    assert verdict(a, p1) == (Verdict.PASS, None)
    assert wait_for(lambda: venue.known("b1") >= venue.known("a1"))
    # Anti-passback across doors: in at A, so not in again at B until out somewhere.
    assert verdict(b, p1) == (Verdict.FAIL, Reason.ALREADY_INSIDE)
    assert verdict(c, p1) == (Verdict.PASS, None)  # out at C
    assert wait_for(lambda: venue.known("b1") >= venue.known("c1"))
    assert verdict(b, p1) == (Verdict.PASS, None)  # and in again at B

    venue.cut_off("c1")
    assert verdict(b, p2) == (Verdict.PASS, None)
    assert verdict(c, p2) == (Verdict.PASS, None)  # C, cut off, lets p2 out
    assert wait_for(lambda: venue.known("a1") >= {r.id for r in b.store.records()})
    # A has not heard of p2's exit: it keeps p2 out rather than let a pass in twice.
    assert verdict(a, p2) == (Verdict.FAIL, Reason.ALREADY_INSIDE)
    assert wait_for(lambda: venue.dropped("c1") > 0)

    venue.heal()
    everything = venue.all_ids()
    assert wait_for(lambda: all(venue.known(n) == everything for n in LAYOUT), timeout=30)
    for name, door in venue.doors.items():
        assert door.peers is not None
        ledger = door.peers.ledger.records(0)
        # No record twice, none lost: each door holds every other door's records once.
        assert (
            len(ledger)
            == len({r.id for r in ledger})
            == len(everything) - len(list(door.store.records()))
        ), name
    # One count at every door: in p1@A, p1@B, p2@B; out p1@C, p2@C → 1 inside.
    now = time.time()
    assert [d.count.inside(now) for d in (a, b, c)] == [1, 1, 1]
    assert verdict(a, p2) == (Verdict.PASS, None)  # p2's exit at C is known now
    assert wait_for(lambda: [d.count.inside(time.time()) for d in (a, b, c)] == [2, 2, 2])


def test_forged_and_foreign_datagrams_are_dropped(
    lan_venue: Venue, make_pass: Callable[..., str]
) -> None:
    venue = lan_venue
    a, b = venue.doors["a1"], venue.doors["b1"]
    assert b.peers is not None
    from kiosk.peers.wire import Records, VenueKeys

    foreign = VenueKeys(b"another venue's secret, long enough", "test-venue")
    forged = foreign.seal(
        Records(
            kind="records",
            sender="x1",
            epoch="0123456789abcdef",
            sent=time.time(),
            counter=1,
            records=[],
        )
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for datagram in (b"hello", b"QRP1" + b"\0" * 40, forged):
            s.sendto(datagram, venue.listen["b1"])
    assert wait_for(lambda: b.peers is not None and b.peers.worker.refused >= 3)
    assert b.peers.ledger.records(0) == []
    # The real thing still works after them.
    a.scan(make_pass())
    assert wait_for(lambda: len(b.peers.ledger.records(0)) == 1 if b.peers else False)
    assert wait_for(lambda: b.peers is not None and b.peers.worker.heard(60) == ["a1", "c1"])
