"""LAN peers: how fast a door that was cut off catches up, and what the venue count and
anti-passback add to each decision.

    .venv/bin/python bench/peers.py [--records 2000] [--interval 2s]

Two real peer threads on loopback (UDP, sealed): door A holds `--records` records of today that
door B has never heard of (B was cut off); B is started and the time until it holds them all is
measured. Then, with those records at both doors, the venue count and the anti-passback check
that each entry decision runs are timed (median / p95 of 500).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from checkin_protocol.records import CodeKind, Direction, Subject, SubjectKind, Verdict
from checkin_protocol.times import parse_duration
from kiosk.config import AntiPassbackConfig, PeersConfig
from kiosk.decision.occupancy import VenueCount
from kiosk.passes import PersonalCode
from kiosk.peers.ledger import PeerLedger
from kiosk.peers.passback import AntiPassback
from kiosk.peers.wire import VenueKeys
from kiosk.peers.worker import PeerWorker
from kiosk.store import NewRecord, RecordStore

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--interval", default="2s")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp())
    secret = folder / "venue.secret"
    secret.write_text("x" * 32)
    secret.chmod(0o600)
    keys = VenueKeys(b"x" * 32, "v")
    ports = {"a": port(), "b": port()}
    stores, ledgers, workers = {}, {}, {}
    for name in ("a", "b"):
        store = RecordStore(folder / f"{name}.db", min_free_mb=0)
        store.open()
        stores[name] = store
        ledgers[name] = PeerLedger(folder / f"{name}-peers.db", name)
        other = "b" if name == "a" else "a"
        cfg = PeersConfig.model_validate(
            {"listen": f"127.0.0.1:{ports[name]}", "addresses": [f"127.0.0.1:{ports[other]}"],
             "secret_file": str(secret), "interval": args.interval}
        )  # fmt: skip
        workers[name] = PeerWorker(cfg, kiosk_id=name, keys=keys, store=store,
                                   ledger=ledgers[name], zone=ZONE)  # fmt: skip
    now = time.time()
    for i in range(args.records):
        new = NewRecord("v", "a", Direction.ENTRY if i % 2 else Direction.EXIT,
                        CodeKind.SIGNED_PASS, Subject(SubjectKind.PASS, f"{i:032x}"), "A**",
                        True, Verdict.PASS, None)  # fmt: skip
        stores["a"].add(new, now=now - 1 - i * 0.001, mono_ns=time.monotonic_ns())
    workers["a"].start()
    t0 = time.monotonic()
    workers["b"].start()
    while len(ledgers["b"].rows(0)) < args.records:
        time.sleep(0.01)
    took = time.monotonic() - t0
    print(f"catch-up of {args.records} records after a partition: {took:.2f} s "
          f"(interval {args.interval}, {parse_duration(args.interval):.1f} s)")  # fmt: skip
    for w in workers.values():
        w.stop()
    count = VenueCount(stores["b"], ZONE, stale_after=None, peers=ledgers["b"])
    rule = AntiPassback(AntiPassbackConfig(mode="until_exit"), stores["b"], ZONE,
                        ledgers["b"], keys)  # fmt: skip
    subject = Subject(SubjectKind.PASS, f"{7:032x}")
    code = PersonalCode(
        kind=CodeKind.SIGNED_PASS, verified=True, subject=subject, masked_name="A**"
    )
    times = []
    for _ in range(500):
        t = time.perf_counter()
        count.inside(time.time())
        rule.check(code, time.time())
        times.append((time.perf_counter() - t) * 1000)
    print(
        f"venue count + anti-passback per entry decision, {args.records} peer records: "
        f"median {statistics.median(times):.2f} ms, p95 {pct(times, 95):.2f} ms"
    )


if __name__ == "__main__":
    main()
