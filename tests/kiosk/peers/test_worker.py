"""One door's peers thread against datagrams sent by hand: replays and forged sources refused."""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from checkin_protocol.records import CodeKind, Direction, Subject, SubjectKind, Verdict
from checkin_protocol.times import utc_iso
from kiosk.config import PeersConfig
from kiosk.peers.ledger import PeerLedger
from kiosk.peers.wire import MAX_ORIGINS, PeerRecord, Records, Summary, VenueKeys
from kiosk.peers.worker import MAX_SKEW, PeerWorker
from kiosk.store import NewRecord, RecordStore
from support.timing import wait_for

KEYS = VenueKeys(b"x" * 32, "v")
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
OLD, NEW = "0123456789abcdef", "fedcba9876543210"  # B's database before and after replacing it


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
    return KEYS.seal(
        Summary(
            kind="summary",
            sender="B",
            epoch="0123456789abcdef",
            sent=sent,
            counter=counter,
            have={},
        )
    )


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
    got: set[str] = set()
    while len(got) < 30:  # the genuine summary is answered with A's 30 records
        message = KEYS.open(peer.recvfrom(70000)[0])
        if isinstance(message, Records):
            got |= {r.id for r in message.records}
    assert worker.heard(60) == ["B"]
    drain(peer)  # summaries A may have sent meanwhile
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


def peer_record(epoch: str, seq: int, at: float) -> PeerRecord:
    return PeerRecord(id=str(uuid.uuid4()), kiosk="B", epoch=epoch, seq=seq,
                      direction=Direction.ENTRY, verdict=Verdict.PASS,
                      time=utc_iso(at))  # fmt: skip


def records(records: list[PeerRecord], counter: int, sender: str = "B", epoch: str = OLD) -> bytes:
    return KEYS.seal(Records(kind="records", sender=sender, epoch=epoch, sent=time.time(),
                             counter=counter, records=records))  # fmt: skip


def test_a_door_whose_database_was_replaced_is_heard_anew_and_far_future_records_are_not(
    door_a: tuple[PeerWorker, int], peer: socket.socket, clock: Clock, tmp_path: Path
) -> None:
    worker, port = door_a
    ledger = PeerLedger(tmp_path / "a-peers.db", "A")
    before = [peer_record(OLD, n, clock.now - 60) for n in (1, 2, 3)]
    # B's database replaced: its numbers start at 1 again, in a new epoch.
    after = [peer_record(NEW, n, clock.now - 30) for n in (1, 2)]
    ahead = peer_record(NEW, 3, clock.now + MAX_SKEW + 60)  # a day B's clock never saw
    peer.sendto(records(before, 1), ("127.0.0.1", port))
    assert wait_for(lambda: len(ledger.rows(0)) == 3)
    refused = worker.refused
    peer.sendto(records([*after, ahead], 2, epoch=NEW), ("127.0.0.1", port))
    assert wait_for(lambda: len(ledger.rows(0)) == 5)
    assert wait_for(lambda: worker.refused == refused + 1)
    assert {r.id for r in ledger.records(0)} == {r.id for r in before + after}
    assert ledger.ranges(0) == {f"B/{OLD}": [(1, 3)], f"B/{NEW}": [(1, 2)]}
    ledger.close()


def test_another_kiosk_with_this_kiosks_id_is_warned_about(
    door_a: tuple[PeerWorker, int], peer: socket.socket, caplog: pytest.LogCaptureFixture
) -> None:
    worker, port = door_a
    refused = worker.refused
    peer.sendto(records([], 1, sender="A", epoch=NEW), ("127.0.0.1", port))
    peer.sendto(b"junk", ("127.0.0.1", port))  # handled after the first: a marker
    assert wait_for(lambda: worker.refused == refused + 1)
    assert any("uses this kiosk's id A" in r.getMessage() for r in caplog.records)


def test_a_door_ten_minutes_fast_lets_a_pass_in_again_after_its_exit_at_another_door(
    tmp_path: Path,
) -> None:
    from kiosk.config import AntiPassbackConfig
    from kiosk.passes import PersonalCode
    from kiosk.peers.passback import AntiPassback

    subject = Subject(SubjectKind.PASS, "00112233445566778899aabbccddeeff")
    code = PersonalCode(kind=CodeKind.SIGNED_PASS, subject=subject, masked_name="A**",
                        verified=True)  # fmt: skip
    secret = tmp_path / "s"
    secret.write_bytes(b"x" * 32)
    os.chmod(secret, 0o600)
    socks = {name: bound() for name in "AB"}
    ports = {name: s.getsockname()[1] for name, s in socks.items()}
    for s in socks.values():
        s.close()  # free ports for the two doors (UDP: nothing else binds them meanwhile)
    now = time.time()
    clocks = {"A": lambda: time.time() + 600, "B": time.time}  # A is 10 minutes fast
    stores, ledgers, workers = {}, {}, {}
    for name, other in (("A", "B"), ("B", "A")):
        stores[name] = RecordStore(tmp_path / f"{name}.db", min_free_mb=0)
        stores[name].open()
        ledgers[name] = PeerLedger(tmp_path / f"{name}-peers.db", name)
        cfg = PeersConfig(listen=f"127.0.0.1:{ports[name]}", secret_file=secret,
                          addresses=[f"127.0.0.1:{ports[other]}"], interval="50ms")  # fmt: skip
        workers[name] = PeerWorker(cfg, kiosk_id=name, keys=KEYS, store=stores[name],
                                   ledger=ledgers[name], zone=ZONE, clock=clocks[name])  # fmt: skip
        workers[name].start()
    try:
        rule = AntiPassback(AntiPassbackConfig(mode="until_exit"), stores["A"], ZONE,
                            ledgers["A"], KEYS)  # fmt: skip
        entry = NewRecord("v", "A", Direction.ENTRY, CodeKind.SIGNED_PASS, subject, "A**", True,
                          Verdict.PASS, None)  # fmt: skip
        stores["A"].add(entry, now=clocks["A"](), mono_ns=time.monotonic_ns())  # in at A
        exit_ = NewRecord("v", "B", Direction.EXIT, CodeKind.SIGNED_PASS, subject, "A**", True,
                          Verdict.PASS, None)  # fmt: skip
        workers["B"].publish(stores["B"].add(exit_, now=now + 60, mono_ns=time.monotonic_ns()))
        assert wait_for(lambda: len(ledgers["A"].rows(0)) == 1)  # out at B, a minute later
        assert rule.check(code, clocks["A"]() + 120) is None  # in again at A: admitted
        assert wait_for(lambda: "B" in workers["A"].skewed())
        assert -900 < workers["A"].offsets()["B"] < -300  # about -600, less the transit
    finally:
        for name in "AB":
            workers[name].stop()
            ledgers[name].close()
            stores[name].close()


def test_minutes_over_an_hour_see_entries_that_long_before_midnight(tmp_path: Path) -> None:
    from datetime import datetime

    from kiosk.config import AntiPassbackConfig
    from kiosk.passes import PersonalCode
    from kiosk.peers.passback import AntiPassback

    subject = Subject(SubjectKind.PASS, "00112233445566778899aabbccddeeff")
    code = PersonalCode(kind=CodeKind.SIGNED_PASS, subject=subject, masked_name="A**",
                        verified=True)  # fmt: skip
    half_past_midnight = datetime(2026, 11, 20, 0, 30, tzinfo=ZONE).timestamp()
    secret = tmp_path / "s"
    secret.write_bytes(b"x" * 32)
    os.chmod(secret, 0o600)
    socks = {name: bound() for name in "AB"}
    ports = {name: s.getsockname()[1] for name, s in socks.items()}
    for s in socks.values():
        s.close()
    stores, ledgers, workers = {}, {}, {}
    for name, other in (("A", "B"), ("B", "A")):
        stores[name] = RecordStore(tmp_path / f"{name}.db", min_free_mb=0)
        stores[name].open()
        ledgers[name] = PeerLedger(tmp_path / f"{name}-peers.db", name)
        cfg = PeersConfig(listen=f"127.0.0.1:{ports[name]}", secret_file=secret,
                          addresses=[f"127.0.0.1:{ports[other]}"], interval="50ms")  # fmt: skip
        workers[name] = PeerWorker(cfg, kiosk_id=name, keys=KEYS, store=stores[name],
                                   ledger=ledgers[name], zone=ZONE,
                                   clock=lambda: half_past_midnight, lookback=120 * 60)  # fmt: skip
    # In at B at 22:45 yesterday, before A started (A catches up from B's summaries).
    entry = NewRecord("v", "B", Direction.ENTRY, CodeKind.SIGNED_PASS, subject, "A**", True,
                      Verdict.PASS, None)  # fmt: skip
    stores["B"].add(entry, now=half_past_midnight - 105 * 60, mono_ns=time.monotonic_ns())
    try:
        for w in workers.values():
            w.start()
        assert wait_for(lambda: len(ledgers["A"].rows(0)) == 1)
        rule = AntiPassback(AntiPassbackConfig(mode="minutes", minutes=120), stores["A"], ZONE,
                            ledgers["A"], KEYS)  # fmt: skip
        refused = rule.check(code, half_past_midnight)
        assert refused is not None and refused[0].value == "already_inside"
    finally:
        for name in "AB":
            workers[name].stop()
            ledgers[name].close()
            stores[name].close()


def test_peers_heard_are_at_most_max_origins_the_latest(
    door_a: tuple[PeerWorker, int], peer: socket.socket
) -> None:
    # A venue's kiosks choose their ids; over a year of renamed doors and swapped spares the
    # ones heard from (and their clocks' samples) must not pile up.
    worker, port = door_a
    senders = [f"S{i}" for i in range(MAX_ORIGINS + 20)]
    for counter, sender in enumerate(senders, start=1):
        peer.sendto(records([], counter, sender=sender), ("127.0.0.1", port))
    assert wait_for(lambda: senders[-1] in worker.heard(600))
    assert sorted(worker.heard(600)) == sorted(senders[-MAX_ORIGINS:])
    assert sorted(worker.offsets()) == sorted(senders[-MAX_ORIGINS:])
