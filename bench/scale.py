"""The registry at a nation's shape: N synthetic records, measured through the HTTP API.

Loads N records over 21 days at 20,000 venues in 700 districts into a database of its own
(`scale_bench`, dropped afterwards unless --keep) through the real schema (`kiosk-registry
migrate`), with COPY: each day with its morning and evening peaks (Vietnam time), one record in
1,000 from a kiosk whose clock is 3 days behind (so `skewed_days` has a pair every day), and a
heavy subject. Then, on the same data and in one run, tracing (a subject with ~20 visits,
p50/p95), the heaviest subject (~1,000 visits) and a venue's latest records as the statements
ran before pruning (no bound on the kiosk's clock) and after (registry.db.pruning), with the
partitions each read (EXPLAIN ANALYZE); then the real `kiosk-registry serve` on loopback: the
same through HTTP, `stats?days=7`, the purge of one day (and the VACUUM after it), and ingest
from 20 kiosks uploading at once. Prints a table, and the disk and WAL it took.

    .venv/bin/python bench/scale.py --records 1000000 [--venues 20000] [--days 21] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import requests
from sqlalchemy import select, text

from registry.auth import Role
from registry.core.views import _trace_query, latest_records, trace_statement
from registry.db.models import Record
from registry.db.partitions import DAY_MS, ensure_partitions, wanted_days
from registry.db.pruning import KioskBound
from registry.service import Registry
from registry.settings import DAY, Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the tests' helpers
from support.registry import free_port

PG = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
VISITS = 20  # records per subject, on average
SKEWED_EVERY = 1000  # one record in this many from a kiosk whose clock is SKEW_MS behind
SKEW_MS = 3 * 86_400_000
# Check-ins per local hour (Vietnam, UTC+7), relative: night, the morning and evening peaks.
HOURLY = (1, 1, 1, 1, 1, 2, 6, 14, 12, 8, 7, 8, 9, 7, 6, 7, 9, 13, 11, 7, 5, 3, 2, 1)
LOCAL_OFFSET_MS = 7 * 3_600_000
HEAVY = 1000  # the heaviest subject's visits
NULL = "\\N"  # COPY's text format
COLUMNS = (
    "id, venue_id, kiosk_id, seq, direction, code_kind, subject, masked_name, verified, "
    "verdict, reason, manual, source, created_ms, created_mono_ns, boot_id, clock_offset_ms, "
    "received_ms, kiosk_ms"
)


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def uuid7(ms: int, rnd: random.Random) -> str:
    bits = rnd.getrandbits(74)
    return (
        f"{ms >> 16:08x}-{ms & 0xFFFF:04x}-7{bits >> 62:03x}-"
        f"{0x8000 | (bits >> 48) & 0x3FFF:04x}-{bits & 0xFFFFFFFFFFFF:012x}"
    )


def day_time(fraction: float) -> int:
    """The ms into a local day at which `fraction` of its check-ins are done (HOURLY's shape)."""
    target = fraction * sum(HOURLY)
    for hour, weight in enumerate(HOURLY):
        if target <= weight:
            return int((hour + target / weight) * 3_600_000)
        target -= weight
    return 24 * 3_600_000 - 1


def rows(n: int, venues: int, days: int, now: int, seed: int = 1) -> Iterator[str]:
    """COPY text lines, in time order (as kiosks upload them), UUIDv7 ids."""
    rnd = random.Random(seed)
    # Local midnights, so each day's peaks fall at its own morning and evening.
    first = (now - days * DAY * 1000 + LOCAL_OFFSET_MS) // DAY_MS * DAY_MS - LOCAL_OFFSET_MS
    subjects = max(1, n // VISITS)
    heavy_every = max(1, n // HEAVY)
    per_day = max(1, n // days)
    for i in range(n):
        day, rank = divmod(i, per_day)
        ms = min(first + day * DAY_MS + day_time(rank / per_day), now - 120_000)
        skew = SKEW_MS if i % SKEWED_EVERY == 7 else 0
        venue = rnd.randrange(venues)
        who = "qid:HEAVY" if i % heavy_every == 0 else f"qid:S{rnd.randrange(subjects)}"
        fail = rnd.random() < 0.02
        verdict, reason = ("FAIL", "expired") if fail else ("PASS", NULL)
        yield (
            f"{uuid7(ms, rnd)}\tv{venue}\tk1\t{i + 1}\t"
            f"{'exit' if i % 3 == 0 else 'entry'}\tsigned_pass\t{who}\tNguyễn V** A\t"
            f"t\t{verdict}\t{reason}\tf\tcamera\t"
            f"{ms}\t{i}\tb\t{skew}\t{ms + 2000}\t{ms - skew}\n"
        )


def load(url: str, n: int, venues: int, days: int, now: int) -> float:
    t0 = time.monotonic()
    with psycopg.connect(libpq(url)) as conn, conn.cursor() as cur:
        with cur.copy("COPY venues (id, name, district, province, created_ms) FROM STDIN") as cp:
            for v in range(venues):
                # 700 districts in 63 provinces, as in Viet Nam.
                cp.write(f"v{v}\tVenue {v}\tD{v % 700}\tP{v % 700 % 63}\t{now}\n")
        with cur.copy(f"COPY records ({COLUMNS}) FROM STDIN") as cp:
            chunk: list[str] = []
            for line in rows(n, venues, days, now):
                chunk.append(line)
                if len(chunk) == 10_000:
                    cp.write("".join(chunk))
                    chunk = []
            cp.write("".join(chunk))
        # The skewed days, as ingest lists them for records from kiosks far off.
        cur.execute(
            "INSERT INTO skewed_days (created_day, kiosk_day) SELECT DISTINCT "
            "created_ms / 86400000, kiosk_ms / 86400000 FROM records "
            "WHERE abs(clock_offset_ms) > (SELECT offset_ms FROM routed_offset)"
        )
        # The day counts, as migration 0008 fills them for records already there.
        cur.execute(
            "INSERT INTO record_days (day, venue_id, direction, verdict, count) "
            "SELECT to_char(to_timestamp(r.created_ms / 1000.0) AT TIME ZONE v.timezone, "
            "'YYYY-MM-DD'), r.venue_id, r.direction, r.verdict, count(*) FROM records r "
            "JOIN venues v ON v.id = r.venue_id GROUP BY 1, 2, 3, 4"
        )
        # And per district, as migration 0013 fills them from the day counts.
        cur.execute(
            "INSERT INTO area_days (day, timezone, province, district, direction, verdict, "
            "count) SELECT d.day, v.timezone, v.province, v.district, d.direction, d.verdict, "
            "sum(d.count) FROM record_days d JOIN venues v ON v.id = d.venue_id "
            "GROUP BY 1, 2, 3, 4, 5, 6"
        )
        conn.commit()
        conn.autocommit = True
        cur.execute("VACUUM ANALYZE")
    return time.monotonic() - t0


def timed(fn: Any, *args: Any, **kwargs: Any) -> float:
    t0 = time.monotonic()
    fn(*args, **kwargs)
    return (time.monotonic() - t0) * 1000


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


class Client:
    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **params: Any) -> requests.Response:
        r = self.http.get(self.base + path, params=params, timeout=600)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
        return r


def ingest(base: str, tokens: list[tuple[str, str]], batches: int, size: int) -> float:
    """Records/s from len(tokens) kiosks uploading `batches` batches of `size` at once."""
    done = threading.Barrier(len(tokens) + 1)

    def kiosk(venue: str, token: str, seed: int) -> None:
        rnd = random.Random(seed)
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {token}"
        done.wait()
        for b in range(batches):
            now = time.time()
            records = [
                {"id": uuid7(int(now * 1000), rnd), "seq": b * size + i + 1, "venue_id": venue,
                 "kiosk_id": "k1", "direction": "entry", "code_kind": "signed_pass",
                 "subject": f"qid:N{rnd.randrange(10**9)}", "masked_name": "Trần T** B",
                 "verified": True, "verdict": "PASS", "reason": None, "manual": False,
                 "created_utc": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now)),
                 "created_mono_ns": i, "boot_id": "b"}
                for i in range(size)
            ]  # fmt: skip
            r = http.post(f"{base}/api/v1/records", json={"records": records}, timeout=600)
            assert r.status_code == 200, r.text[:300]

    threads = [threading.Thread(target=kiosk, args=(v, t, n)) for n, (v, t) in enumerate(tokens)]
    for t in threads:
        t.start()
    done.wait()
    t0 = time.monotonic()
    for t in threads:
        t.join()
    return len(tokens) * batches * size / (time.monotonic() - t0)


def wal_bytes(url: str) -> int:
    with psycopg.connect(libpq(url)) as conn:
        lsn = conn.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn").fetchone()
        assert lsn is not None
        return int(lsn[0])


# A trace states why (the API refuses one without a reason): it is audited.
WHY = "bench: tracing time"


def probes(reg: Registry, query: Any) -> tuple[int, int, int]:
    """(partitions the visits were read from, partition scans for their neighbours in all,
    index entries those scans returned) of one statement, from EXPLAIN ANALYZE (scans
    executed, each rescan counted)."""
    with reg.engine.connect() as conn:
        compiled = query.compile(conn, compile_kwargs={"render_postcompile": True})
        conn.exec_driver_sql("SET jit = off")
        plan = conn.exec_driver_sql(
            f"EXPLAIN (ANALYZE, FORMAT JSON) {compiled}", compiled.params
        ).scalar_one()
    visits: set[str] = set()
    near = rows = 0

    def walk(node: dict[str, Any]) -> None:
        nonlocal near, rows
        name = node.get("Relation Name", "")
        loops = node.get("Actual Loops", 0)
        if name.startswith("records_") and loops > 0:
            if node["Alias"].startswith("near"):
                near += loops
                rows += round(node.get("Actual Rows", 0) * loops)
            else:
                visits.add(name)
        for child in node.get("Plans", []):
            walk(child)

    walk((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
    return len(visits), near, rows


def before_after(reg: Registry, venues: int, n: int) -> dict[str, tuple[str, str]]:
    """The statements as they ran before pruning and after, on the same data, alternately."""
    settings = reg.settings
    now = int(time.time() * 1000)
    since = now - settings.retention_days * DAY * 1000
    until = now + settings.max_future_ms
    window = 30 * 60_000
    unbounded = KioskBound(0, (), active=False)

    def old_trace(who: str) -> Any:
        return _trace_query([who], since, until, window, 1000, 0, unbounded)

    def new_trace(who: str) -> Any:
        with reg.session() as s:
            return trace_statement(s, [who], since, window, 1000, 0, settings)

    def run(make: Any, *args: Any) -> float:
        t0 = time.monotonic()
        with reg.session() as s:
            s.execute(text("SET LOCAL jit = off"))  # as Views.trace runs it (both alike)
            s.execute(make(*args)).all()
        return (time.monotonic() - t0) * 1000

    rnd = random.Random(11)
    subjects = max(1, n // VISITS)
    old, new = [], []
    for _ in range(30):
        who = f"qid:S{rnd.randrange(subjects)}"
        old.append(run(old_trace, who))
        new.append(run(new_trace, who))  # bound read included: what a request pays
    heavy_old = [run(old_trace, "qid:HEAVY") for _ in range(3)]
    heavy_new = [run(new_trace, "qid:HEAVY") for _ in range(3)]

    def old_latest(venue: str) -> Any:
        q = select(Record).where(Record.venue_id == venue).order_by(Record.created_ms.desc())
        return q.limit(50)

    def latest_ms(venue: str, fn: Any) -> float:
        t0 = time.monotonic()
        with reg.session() as s:
            fn(s, venue)
        return (time.monotonic() - t0) * 1000

    def new_latest(s: Any, venue: str) -> None:
        latest_records(
            s, venue, 50, now, retention_days=settings.retention_days,
            max_future_ms=settings.max_future_ms,
        )  # fmt: skip

    live_old, live_new = [], []
    for _ in range(30):
        venue = f"v{rnd.randrange(venues)}"
        live_old.append(latest_ms(venue, lambda s, v: s.execute(old_latest(v)).all()))
        live_new.append(latest_ms(venue, new_latest))
    typical = f"qid:S{rnd.randrange(subjects)}"
    parts = [
        probes(reg, make(who)) for who in (typical, "qid:HEAVY") for make in (old_trace, new_trace)
    ]

    def p(values: list[float]) -> str:
        return f"{pct(values, 0.5):.0f} / {pct(values, 0.95):.0f} ms"

    return {
        "tracing p50/p95 (SQL)": (p(old), p(new)),
        "heaviest subject (SQL, median)": (
            f"{statistics.median(heavy_old):.0f} ms",
            f"{statistics.median(heavy_new):.0f} ms",
        ),
        "trace, typical: partitions of visits / neighbour partition scans / rows": (
            "{} / {} / {}".format(*parts[0]),
            "{} / {} / {}".format(*parts[1]),
        ),
        "trace, heaviest: partitions of visits / neighbour partition scans / rows": (
            "{} / {} / {}".format(*parts[2]),
            "{} / {} / {}".format(*parts[3]),
        ),
        "live: latest 50 at a venue p50/p95 (SQL)": (p(live_old), p(live_new)),
    }


def measure(reg: Registry, url: str, base: str, venues: int, n: int) -> dict[str, str]:
    officer = Client(base, reg.add_user("bench-officer", Role.HEALTH_OFFICER))
    admin = Client(base, reg.add_user("bench-admin", Role.ADMIN))
    rnd = random.Random(7)
    subjects = max(1, n // VISITS)
    trace = [
        timed(officer.get, "/api/v1/tracing", subject=f"qid:S{rnd.randrange(subjects)}", reason=WHY)
        for _ in range(30)
    ]
    visits = len(officer.get("/api/v1/tracing", subject="qid:S1", reason=WHY).json()["visits"])
    heavy = [
        timed(officer.get, "/api/v1/tracing", subject="qid:HEAVY", reason=WHY) for _ in range(3)
    ]
    heavy_visits = len(
        officer.get("/api/v1/tracing", subject="qid:HEAVY", reason=WHY).json()["visits"]
    )
    live = [timed(admin.get, f"/api/v1/venues/v{rnd.randrange(venues)}/live") for _ in range(30)]
    stats = [timed(admin.get, "/api/v1/stats", days=7) for _ in range(3)]
    size = len(admin.get("/api/v1/stats", days=7).content)
    # The purge of the oldest day: retention one day shorter than the data.
    shorter = Registry(replace(reg.settings, retention_days=20))
    t0 = time.monotonic()
    purged = shorter.purge()["records"]
    purge_s = time.monotonic() - t0
    shorter.engine.dispose()
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        t0 = time.monotonic()
        conn.execute("VACUUM records")
        vacuum_s = time.monotonic() - t0
    kiosks = [(f"v{v}", reg.add_kiosk(f"v{v}", "k1")) for v in range(20)]
    wal0 = wal_bytes(url)
    rate = ingest(base, kiosks, batches=10, size=100)
    wal_per_record = (wal_bytes(url) - wal0) / (20 * 10 * 100)
    return {
        "tracing p50/p95": f"{pct(trace, 0.5):.0f} / {pct(trace, 0.95):.0f} ms ({visits} visits)",
        "heaviest subject": f"{statistics.median(heavy):.0f} ms ({heavy_visits} visits)",
        "live p50/p95": f"{pct(live, 0.5):.0f} / {pct(live, 0.95):.0f} ms",
        "stats?days=7": f"{statistics.median(stats):.0f} ms ({size // 1024} KiB first page)",
        "purge 1 day (+VACUUM)": f"{purge_s * 1000:.0f} ms for {purged} (+{vacuum_s:.1f} s)",
        "ingest, 20 kiosks": f"{rate:,.0f} rec/s ({wal_per_record / 1024:.2f} KiB WAL/record)",
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--records", type=int, default=1_000_000)
    p.add_argument("--venues", type=int, default=20_000)
    p.add_argument("--days", type=int, default=21)
    p.add_argument("--db-name", default="scale_bench")
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = p.parse_args()
    base_url = PG.rsplit("/", 1)[0]
    url = f"{base_url}/{args.db_name}"
    with psycopg.connect(libpq(PG), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.db_name}"')
    data = Path(tempfile.mkdtemp(prefix="scale-bench-"))
    server = None
    try:
        subprocess.run(
            [sys.executable, "-m", "registry", "--data", str(data), "--db", url, "migrate"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        reg = Registry(Settings(data_dir=data, database_url=url))
        now = int(time.time() * 1000)
        # The daily partitions of the days loaded, as ingest makes them for each new day.
        with reg.engine.begin() as conn:
            # From the days the far-off kiosks' clocks say, 3 days before the first.
            first = (now - args.days * DAY * 1000 - SKEW_MS) // DAY_MS - 1
            ensure_partitions(conn, wanted_days(now, set(range(first, now // DAY_MS + 1))))
        wal0 = wal_bytes(url)
        load_s = load(url, args.records, args.venues, args.days, now)
        load_wal = wal_bytes(url) - wal0
        with psycopg.connect(libpq(url)) as conn:
            size = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        assert size is not None
        print(
            f"loaded {args.records:,} records in {load_s:.0f} s; database "
            f"{size[0] / 2**30:.2f} GiB, load WAL {load_wal / 2**30:.2f} GiB",
            flush=True,
        )
        compared = before_after(reg, args.venues, args.records)
        print(f"| {args.records / 1e6:g} M records | before pruning | after |")
        print("|---|---|---|")
        for name, (was, now_is) in compared.items():
            print(f"| {name} | {was} | {now_is} |", flush=True)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "registry", "--data", str(data), "--db", url, "serve",
             "--port", str(port)],
            env={**os.environ, "REGISTRY_PURGE_INTERVAL": "0"},
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                requests.get(base + "/", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        row = measure(reg, url, base, args.venues, args.records)
        reg.engine.dispose()
        print(f"| records | {' | '.join(row)} |")
        print(f"|---|{'---|' * len(row)}")
        print(f"| {args.records / 1e6:g} M | {' | '.join(row.values())} |")
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        if not args.keep:
            with psycopg.connect(libpq(PG), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')
            shutil.rmtree(data, ignore_errors=True)  # the bench's own keys


if __name__ == "__main__":
    main()
