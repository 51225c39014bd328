"""`kiosk run` with `peers:`: another door's records count and hold, and ours are pushed out."""

from __future__ import annotations

import contextlib
import io
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from checkin_protocol.keys import TrustStore
from checkin_protocol.records import Direction, Verdict
from checkin_protocol.times import utc_iso
from kiosk.app.kiosk import Kiosk, RunOptions
from kiosk.config import load_config
from kiosk.decision.outcome import Outcome
from kiosk.passes import CodeReader
from kiosk.peers.ledger import PeerLedger, ledger_path
from kiosk.peers.wire import PeerRecord, Records, Refused, VenueKeys
from kiosk.policy.denylist import DenyList
from support.doors import NOON, write_token
from support.timing import wait_for

LOCKSTEP = "{type: replay, path: frames, fps: 25, loop: false, pace: lockstep}"
SECRET = "a venue secret of thirty-two chars"


def test_a_run_kiosk_holds_a_pass_another_door_let_in_and_tells_its_peers(
    write_config: Callable[..., Path],
    venue_dir: Path,
    make_pass: Callable[..., str],
    trust: TrustStore,
) -> None:
    import cv2

    from kiosk.camera.scenes import frame, qr_image

    inside, newcomer = make_pass(name="Trần Thị Bình"), make_pass(name="Lê Văn Cường")
    for i, payload in enumerate([inside, None, newcomer, None]):
        for j in range(3):
            img = frame(qr_image(payload) if payload else None, seed=10 * i + j)
            cv2.imwrite(str(venue_dir / "frames" / f"{3 * i + j:02d}.png"), img)
    write_token(venue_dir, "venue.secret", SECRET)
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # the other door, played here
    peer.bind(("127.0.0.1", 0))
    peer.settimeout(5)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        listen = s.getsockname()[1]
    path = write_config(
        "policy: {max_occupancy: 2, anti_passback: {mode: until_exit}}\n"
        f"peers: {{listen: '127.0.0.1:{listen}', addresses: ['127.0.0.1:"
        f"{peer.getsockname()[1]}'], secret_file: venue.secret, interval: 50ms}}\n",
        camera=LOCKSTEP,
    )
    # A zone where it is noon now: the other door's entry a minute ago is today's.
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("name: Test Venue}", f"name: Test Venue, timezone: {NOON}}}"))
    cfg = load_config(path)
    keys = VenueKeys(SECRET.encode(), "test-venue")
    subject = CodeReader(trust=trust, sealing=DenyList()).read(inside.encode(), time.time()).subject
    ledger = PeerLedger(ledger_path(cfg.storage.path), "k1")
    ledger.add([
        PeerRecord(
            id=str(uuid.uuid4()), kiosk="b1", epoch="0123456789abcdef", seq=1,
            direction=Direction.ENTRY,
            verdict=Verdict.PASS, time=utc_iso(time.time() - 60), tag=keys.tag(str(subject)),
        )
    ])  # fmt: skip
    ledger.close()
    seen: list[Outcome] = []
    assert Kiosk(cfg, RunOptions(observers=[seen.append])).run() == 0
    # Let in at the other door a minute ago: held here; the newcomer makes two inside.
    assert [(o.decision.verdict, o.decision.reason) for o in seen] == [
        (Verdict.FAIL, "already_inside"),
        (Verdict.PASS, None),
    ]
    pushed: set[str] = set()
    ours = {o.record.id for o in seen if o.record}
    deadline = time.monotonic() + 10
    while pushed != ours and time.monotonic() < deadline:
        try:
            message = keys.open(peer.recv(65535))
        except (Refused, TimeoutError):
            continue
        if isinstance(message, Records):
            pushed |= {r.id for r in message.records}
            assert all(r.kiosk == "k1" and r.tag != str(subject) for r in message.records)
    peer.close()
    assert pushed == ours


def test_check_config_devices_says_when_the_peers_port_is_taken(
    write_config: Callable[..., Path], venue_dir: Path, tmp_path: Path
) -> None:
    from kiosk.cli.preflight import preflight

    write_token(venue_dir, "venue.secret", SECRET)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        path = write_config(
            f"peers: {{listen: '127.0.0.1:{port}', addresses: ['127.0.0.1:9'], "
            "secret_file: venue.secret}\n"
        )
        found = [str(i) for i in preflight(load_config(path), path, devices=True, dev=tmp_path)]
        assert any(f":7: peers.listen: cannot listen on 127.0.0.1:{port}" in i for i in found)
        # Not at `run`'s own start: a kiosk still stopping may hold the port for a moment.
        assert [i for i in preflight(load_config(path), path) if "peers" in str(i)] == []


@pytest.mark.parametrize(
    ("listen", "address", "key"),
    [
        ("taken", "127.0.0.1:9", "peers.listen"),  # another program holds the port
        ("192.0.2.1:7700", "127.0.0.1:9", "peers.listen"),  # not this machine's address
        ("free", "no-such-host.invalid:7700", "peers.addresses[0]"),
        ("free", "[::1]:7700", "peers.addresses[0]"),  # not the listening family
    ],
)
def test_check_config_takes_the_peers_port_and_resolves_the_peers(
    write_config: Callable[..., Path], venue_dir: Path, listen: str, address: str, key: str
) -> None:
    from kiosk.cli import main

    write_token(venue_dir, "venue.secret", SECRET)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        if listen == "taken":
            listen = f"127.0.0.1:{taken.getsockname()[1]}"
        elif listen == "free":
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.bind(("127.0.0.1", 0))
                listen = f"127.0.0.1:{probe.getsockname()[1]}"
        path = write_config(
            f"peers: {{listen: '{listen}', addresses: ['{address}'], secret_file: venue.secret}}\n"
        )
        with _stderr() as err:
            assert main(["check-config", str(path)]) == 2
    assert f"{path}:7: {key}: " in err.getvalue()


@contextlib.contextmanager
def _stderr() -> Iterator[io.StringIO]:
    buf = io.StringIO()
    with contextlib.redirect_stderr(buf):
        yield buf


def test_a_run_whose_peers_port_is_taken_logs_it_once_and_says_peers_are_down(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from zoneinfo import ZoneInfo

    from kiosk.config import PeersConfig
    from kiosk.peers.worker import PeerWorker
    from kiosk.runtime.service import State
    from kiosk.store import RecordStore

    write_token(tmp_path, "venue.secret", SECRET)
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken,
        RecordStore(tmp_path / "k.db", min_free_mb=0) as store,
    ):
        taken.bind(("127.0.0.1", 0))
        secret = tmp_path / "venue.secret"
        cfg = PeersConfig(listen=f"127.0.0.1:{taken.getsockname()[1]}",
                          addresses=["127.0.0.1:9"], secret_file=secret)  # fmt: skip
        keys, ledger = VenueKeys(SECRET.encode(), "v"), PeerLedger(tmp_path / "p.db", "k1")
        worker = PeerWorker(cfg, kiosk_id="k1", keys=keys, store=store, ledger=ledger,
                            zone=ZoneInfo("UTC"))  # fmt: skip
        with worker:
            assert wait_for(lambda: worker.down is not None)
            assert worker.health.state is State.RUNNING and worker.health.crashes == 0
        assert worker.down is not None and "cannot listen on 127.0.0.1:" in worker.down
    lines = [r for r in caplog.records if "cannot listen" in r.getMessage()]
    assert len(lines) == 1 and lines[0].exc_info is None
    assert "\n" not in lines[0].getMessage()
