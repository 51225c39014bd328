"""What a synchronous standby costs an upload: the registry's ingest with and without one.

Starts its own PostgreSQL primary and streaming standby (initdb, pg_basebackup -R, as the
failover drill does), a real `kiosk-registry serve` on the primary, and uploads batches from one
kiosk through HTTP, first with the standby asynchronous, then synchronous
(synchronous_standby_names): records/s and the upload's p50/p95, each acknowledgement waiting
for the standby's flush in the second case. Both servers on this one machine: the round trip
is a loopback one, so the figure is the floor of the cost, not a data centre's.

    .venv/bin/python bench/replication.py [--batches 100] [--size 100]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the tests' helpers
from registry.service import Registry
from registry.settings import Settings
from support.pgcluster import PgServer, unavailable
from support.registry import RegistryServer, make_record


def sql(url: str, query: str) -> object:
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True, connect_timeout=10) as c:
        cur = c.execute(query)
        return cur.fetchone() if cur.description is not None else None


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def uploads(base: str, token: str, batches: int, size: int) -> tuple[float, list[float]]:
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    times = []
    t0 = time.monotonic()
    for _ in range(batches):
        body = {"records": [make_record(venue="v1") for _ in range(size)]}
        t = time.monotonic()
        r = http.post(f"{base}/api/v1/records", json=body, timeout=60)
        assert r.status_code == 200, r.text[:300]
        times.append((time.monotonic() - t) * 1000)
    return batches * size / (time.monotonic() - t0), times


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--batches", type=int, default=100)
    p.add_argument("--size", type=int, default=100)
    args = p.parse_args()
    why = unavailable()
    if why:
        sys.exit(f"replication bench: {why}")
    folder = Path(tempfile.mkdtemp(prefix="pg-repl-bench-"))
    folder.chmod(0o755)
    primary, standby = PgServer(folder / "primary"), PgServer(folder / "standby")
    server = None
    try:
        primary.initdb()
        primary.start()
        sql(primary.url(), "CREATE DATABASE registry")
        standby.standby_of(primary, "standby1")
        standby.start()
        data = folder / "registry-data"
        registry = Registry(Settings(data_dir=data, database_url=primary.url("registry")))
        registry.init()
        registry.add_venue("v1", "Venue One")
        token = registry.add_kiosk("v1", "k1")
        registry.engine.dispose()
        server = RegistryServer(data, primary.url("registry"))
        server.start()
        uploads(server.url, token, 10, args.size)  # warm up
        print(f"| standby | records/s | upload of {args.size} p50 / p95 |")
        print("|---|---|---|")
        for mode, names in (("asynchronous", ""), ("synchronous", "standby1")):
            sql(primary.url(), f"ALTER SYSTEM SET synchronous_standby_names = '{names}'")
            sql(primary.url(), "SELECT pg_reload_conf()")
            time.sleep(1)  # the reload reaches every backend
            state = sql(primary.url(), "SELECT sync_state FROM pg_stat_replication")
            assert state == (("sync",) if names else ("async",)), state
            rate, times = uploads(server.url, token, args.batches, args.size)
            print(
                f"| {mode} | {rate:,.0f} | {pct(times, 0.5):.1f} / {pct(times, 0.95):.1f} ms |",
                flush=True,
            )
    finally:
        if server is not None:
            server.stop()
        standby.stop()
        primary.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
