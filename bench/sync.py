"""Registry throughput: one kiosk draining a 100,000-record backlog; 20 kiosks uploading at once.

Runs the real registry (`kiosk-registry serve`) and the real `kiosk sync` as processes on
loopback, on SQLite and on PostgreSQL (127.0.0.1:5432, database `test`, or $TEST_PG_URL).

    .venv/bin/python bench/sync.py [--records 100000] [--kiosks 20] [--per-kiosk 10000]
                                   [--db sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import requests

from kiosk.store import RecordStore, utc_iso
from registry.service import Registry
from registry.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the tests' helpers
from support.registry import free_port

PG = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


class Server:
    def __init__(self, data: Path, url: str) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "registry",
                "--data",
                str(data),
                "--db",
                url,
                "serve",
                "--port",
                str(self.port),
            ],
            stderr=subprocess.DEVNULL,
        )
        for _ in range(300):
            try:
                requests.get(f"http://127.0.0.1:{self.port}/", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("registry did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def backlog(db: Path, n: int, venue: str, kiosk: str) -> None:
    with RecordStore(db, min_free_mb=0):
        pass  # creates and migrates the schema; the backlog goes in through a plain connection
    with contextlib.closing(sqlite3.connect(db, isolation_level=None)) as conn:
        now = time.time()
        rows = [
            (
                str(uuid.uuid4()),
                i + 1,
                venue,
                kiosk,
                "entry",
                "signed_pass",
                f"pass:{i:032x}",
                "Nguyễn V** A",
                1,
                "PASS",
                None,
                0,
                utc_iso(now - (n - i) * 0.01),
                i,
                "bench",
                "pending",
            )
            for i in range(n)
        ]
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO records (id, seq, venue_id, kiosk_id, direction, code_kind, subject, "
            "masked_name, verified, verdict, reason, manual, created_utc, created_mono_ns, "
            "boot_id, sync_state) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        conn.execute("UPDATE counters SET value = ? WHERE name = 'seq'", (n,))
        conn.execute("COMMIT")


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def drain(kind: str, url: str, n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        reg = Registry(Settings(data_dir=root / "registry", database_url=url))
        reg.init()
        reg.add_venue("bench", "Bench")
        token = reg.add_kiosk("bench", "k1")
        reg.engine.dispose()
        fd = os.open(root / "kiosk.token", os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, token.encode())
        os.close(fd)
        (root / "frames").mkdir()
        (root / "lists.pub").write_bytes((root / "registry" / "keys" / "lists.pub").read_bytes())
        (root / "venue.yaml").write_text(
            "venue: {id: bench, name: Bench}\nkiosk: {id: k1}\n"
            "camera: {type: replay, path: frames}\npolicy: {admit_kinds: [cccd]}\n"
            "storage: {path: kiosk.db}\n"
            "registry: {url: URL, token_file: kiosk.token, list_key: lists.pub, batch_size: 1000, "
            "read_timeout: 60s}\n".replace("URL", "http://127.0.0.1:0"),
            encoding="utf-8",
        )
        backlog(root / "kiosk.db", n, "bench", "k1")
        server = Server(root / "registry", url)
        cfg = (root / "venue.yaml").read_text().replace("http://127.0.0.1:0", server.url)
        (root / "venue.yaml").write_text(cfg)
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kiosk",
                "sync",
                "--config",
                str(root / "venue.yaml"),
                "--timeout",
                "900",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        samples = []
        while proc.poll() is None:
            r = rss_mb(proc.pid)
            if r:
                samples.append((time.monotonic() - t0, r))
            time.sleep(0.2)
        status = proc.returncode
        wall = time.monotonic() - t0
        server.stop()
        check = Registry(Settings(data_dir=root / "registry", database_url=url))
        with check.engine.connect() as c:
            got = c.exec_driver_sql("SELECT COUNT(*) FROM records").scalar()
        check.engine.dispose()
        mid = [r for t, r in samples if t > 2]
        print(
            f"| {kind} | {n:,} | {wall:.1f} s | {n / wall:,.0f} records/s | exit {status}, "
            f"{got:,} in registry | RSS {min(mid or [0]):.0f}–{max(mid or [0]):.0f} MB after 2 s, "
            f"peak {max(r for _, r in samples):.0f} MB |"
        )


def _kiosk_upload(args: tuple[str, str, str, int, int]) -> tuple[int, list[float]]:
    base, token, kiosk_id, n, batch = args
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    lat = []
    sent = 0
    for start in range(0, n, batch):
        records = [
            {
                "id": str(uuid.uuid4()),
                "seq": start + i + 1,
                "venue_id": "bench",
                "kiosk_id": kiosk_id,
                "direction": "entry",
                "code_kind": "cccd",
                "subject": f"idh:{uuid.uuid4().hex}",
                "masked_name": "Lê B",
                "verified": False,
                "verdict": "PASS",
                "reason": None,
                "manual": False,
                "created_utc": now,
                "created_mono_ns": 1,
                "boot_id": "b",
            }
            for i in range(min(batch, n - start))
        ]
        body = json.dumps({"clock_offset_ms": 0, "records": records})
        t = time.perf_counter()
        r = session.post(
            f"{base}/api/v1/records",
            data=body,
            headers={"Content-Type": "application/json"},
            timeout=120,
        )
        lat.append((time.perf_counter() - t) * 1000)
        r.raise_for_status()
        sent += sum(x["status"] == "accepted" for x in r.json()["results"])
    return sent, lat


def ingest(kind: str, url: str, kiosks: int, per_kiosk: int, batch: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        reg = Registry(Settings(data_dir=root / "registry", database_url=url))
        reg.init()
        reg.add_venue("bench", "Bench")
        tokens = [reg.add_kiosk("bench", f"k{i}") for i in range(kiosks)]
        reg.engine.dispose()
        server = Server(root / "registry", url)
        jobs = [(server.url, tokens[i], f"k{i}", per_kiosk, batch) for i in range(kiosks)]
        t0 = time.monotonic()
        with multiprocessing.Pool(kiosks) as pool:
            results = pool.map(_kiosk_upload, jobs)
        wall = time.monotonic() - t0
        server.stop()
        accepted = sum(r[0] for r in results)
        lat = [x for r in results for x in r[1]]
        print(
            f"| {kind} | {kiosks} × {per_kiosk:,} in batches of {batch} | {wall:.1f} s | "
            f"{accepted / wall:,.0f} records/s | p50 {statistics.median(lat):.0f} ms, "
            f"p95 {np.percentile(lat, 95):.0f} ms per request | {accepted:,} accepted |"
        )


def fresh(kind: str, tmp: Path) -> tuple[str, object]:
    if kind == "sqlite":
        return f"sqlite:///{tmp / f'registry-{uuid.uuid4().hex[:6]}.db'}", None
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = PG.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return PG.rsplit("/", 1)[0] + "/" + name, name


def drop(name: object) -> None:
    if name is None:
        return
    import psycopg

    with psycopg.connect(
        PG.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--kiosks", type=int, default=20)
    ap.add_argument("--per-kiosk", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--db", default="sqlite,postgresql")
    args = ap.parse_args()
    kinds = args.db.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        print("\n## One kiosk drains a backlog (`kiosk sync`, batches of 1000)")
        print("| registry DB | records | time | rate | result | kiosk memory |")
        print("|---|---|---|---|---|---|")
        for kind in kinds:
            url, name = fresh(kind, Path(tmp))
            try:
                drain(kind, url, args.records)
            finally:
                drop(name)
        print(f"\n## {args.kiosks} kiosks upload at once")
        print("| registry DB | load | time | ingest | latency | check |")
        print("|---|---|---|---|---|---|")
        for kind in kinds:
            url, name = fresh(kind, Path(tmp))
            try:
                ingest(kind, url, args.kiosks, args.per_kiosk, args.batch)
            finally:
                drop(name)


if __name__ == "__main__":
    main()
