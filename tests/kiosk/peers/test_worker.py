"""One door's peers thread against datagrams sent by hand: replays and forged sources refused."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from checkin_protocol.records import CodeKind, Direction, Subject, SubjectKind, Verdict
from kiosk.config import PeersConfig
from kiosk.peers.ledger import PeerLedger
from kiosk.peers.wire import Summary, VenueKeys
from kiosk.peers.worker import MAX_SKEW, PeerWorker
from kiosk.store import NewRecord, RecordStore
from support.timing import wait_for

KEYS = VenueKeys(b"x" * 32, "v")
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def bound() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(10)
    return s


@pytest.fixture
def peer() -> Iterator[socket.socket]:
    """The test plays door B, at the address door A is configured with."""
    with bound() as s:
        yield s


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def door_a(tmp_path: Path, peer: socket.socket, clock: Clock) -> Iterator[tuple[PeerWorker, int]]:
    secret = tmp_path / "s"
    secret.write_bytes(b"x" * 32)
    os.chmod(secret, 0o600)
    with bound() as probe:
        port = probe.getsockname()[1]
    store = RecordStore(tmp_path / "a.db", min_free_mb=0)
    store.open()
    for i in range(30):
        subject = Subject(SubjectKind.PASS, f"{i:032x}")
        new = NewRecord("v", "A", Direction.ENTRY, CodeKind.SIGNED_PASS, subject, "X**", True,
                        Verdict.PASS, None)  # fmt: skip
        store.add(new, now=clock.now - 10 - i, mono_ns=time.monotonic_ns())
    cfg = PeersConfig(listen=f"127.0.0.1:{port}", secret_file=secret, interval="300s",
                      addresses=[f"127.0.0.1:{peer.getsockname()[1]}"])  # fmt: skip
    ledger = PeerLedger(tmp_path / "a-peers.db", "A")
    worker = PeerWorker(cfg, kiosk_id="A", keys=KEYS, store=store, ledger=ledger, zone=ZONE,
                        clock=clock)  # fmt: skip
    worker.start()
    peer.recvfrom(70000)  # A's first summary: it is up
    yield worker, port
    worker.stop()
    store.close()


def summary(sent: float, counter: int) -> bytes:
    return KEYS.seal(Summary(kind="summary", sender="B", sent=sent, counter=counter, have={}))


def drain(sock: socket.socket) -> int:
    """How many datagrams are waiting (none are on their way: the worker has moved on)."""
    sock.setblocking(False)
    n = 0
    try:
        while True:
            sock.recvfrom(70000)
            n += 1
    except BlockingIOError:
        return n
    finally:
        sock.settimeout(10)


def test_a_replayed_or_stale_summary_gets_no_answer_and_refreshes_nothing(
    door_a: tuple[PeerWorker, int], peer: socket.socket, clock: Clock
) -> None:
    worker, port = door_a
    captured = summary(clock.now, 7)
    peer.sendto(captured, ("127.0.0.1", port))
    peer.recvfrom(70000)  # the genuine summary is answered with A's records
    assert wait_for(lambda: worker.heard(60) == ["B"])
    drain(peer)
    clock.now += 100
    with bound() as attacker:  # anyone on the LAN, any (forged) source
        for to_send, sock in ((captured, attacker), (captured, peer),
                              (summary(clock.now - MAX_SKEW - 1, 8), peer),
                              (summary(clock.now + MAX_SKEW + 1, 9), peer)):  # fmt: skip
            before = worker.refused
            sock.sendto(to_send, ("127.0.0.1", port))
            assert wait_for(lambda b=before: worker.refused == b + 1)  # type: ignore[misc]
        assert drain(attacker) == 0
    assert drain(peer) == 0
    assert worker.heard(60) == []  # nothing refused counts as hearing from B
    peer.sendto(summary(clock.now, 10), ("127.0.0.1", port))  # B's next, fresh: answered
    peer.recvfrom(70000)
    assert worker.heard(60) == ["B"]
