"""What the pages' charts cost the database: the live page's hourly chart (today and the same
weekday last week, one venue) and the admin's 14-day overview (everywhere, one district).

    .venv/bin/python bench/pages.py [--records 200000] [--venues 50]

Fills a fresh SQLite registry with records spread over 14 days (the overview's span), then
times each query (median of 20) and the chart's drawing. The page adds the same queries once
per load; the live page redraws its chart once a minute.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import insert

from registry.core.pagedata import PageData, today_at
from registry.db.models import Record
from registry.service import Registry
from registry.settings import Settings
from registry.web.charts import Series, bar_chart

TZ = "Asia/Ho_Chi_Minh"


def median_ms(fn: Callable[[], object], n: int = 20) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--venues", type=int, default=50)
    args = ap.parse_args()
    registry = Registry(Settings.load(Path(tempfile.mkdtemp(prefix="bench-pages-"))))
    registry.init()
    for v in range(args.venues):
        registry.add_venue(f"v{v}", f"Venue {v}", f"District {v % 10}", f"Province {v % 3}")
    now = int(time.time() * 1000)
    rng = random.Random(1)
    rows = [
        {
            "id": str(uuid.uuid4()), "venue_id": f"v{rng.randrange(args.venues)}",
            "kiosk_id": f"k{rng.randrange(4)}", "seq": i,
            "direction": rng.choice(["entry", "exit"]),
            "code_kind": "signed_pass", "subject": "pass:" + uuid.uuid4().hex, "masked_name": "A",
            "verified": True, "verdict": "PASS" if rng.random() < 0.95 else "FAIL",
            "created_ms": now - rng.randrange(14 * 86_400_000), "created_mono_ns": 0,
            "boot_id": "b", "received_ms": now, "source": "camera",
        }
        for i in range(args.records)
    ]  # fmt: skip
    t0 = time.perf_counter()
    with registry.db.session.begin() as s:
        for i in range(0, len(rows), 10_000):
            s.execute(insert(Record), rows[i : i + 10_000])
    print(
        f"{args.records} records, {args.venues} venues: filled in {time.perf_counter() - t0:.1f} s"
    )
    data = PageData(registry.db, 120)
    venue = data.venue("v1")
    assert venue is not None
    today = today_at(TZ)
    hourly = median_ms(lambda: data.hourly_entries(venue, today))
    counts = data.hourly_entries(venue, today)
    draw = median_ms(
        lambda: bar_chart("h", "t", "s", [str(h) for h in range(24)],
                          [Series("a", counts, "today"), Series("b", counts, "before")], "h", "t")
    )  # fmt: skip
    everywhere = median_ms(lambda: data.overview(14, today, tz=TZ), 5)
    district = median_ms(lambda: data.overview(14, today, "Province 1", "District 1", TZ), 5)
    print(f"hourly entries, one venue, one day: {hourly:.2f} ms (the chart needs two)")
    print(f"drawing the hourly chart (SVG + table): {draw:.2f} ms")
    print(f"14-day overview, everywhere: {everywhere:.1f} ms")
    print(f"14-day overview, one district: {district:.1f} ms")


if __name__ == "__main__":
    main()
