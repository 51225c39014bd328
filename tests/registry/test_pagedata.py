"""The pages' own queries, on SQLite and PostgreSQL: hours and days by the venue's clock."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from registry.core.pagedata import PageData, day_bounds, today_at
from registry.service import Registry
from support.registry import make_record

TZ = "Asia/Ho_Chi_Minh"


def iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + f".{ms % 1000:03d}Z"


def test_hours_and_days_are_counted_by_the_venues_clock(registry: Registry) -> None:
    registry.add_venue("cho", "Chợ", district="Quận 1", province="TP. Hồ Chí Minh")
    kiosk = registry.caller(registry.add_kiosk("cho", "k1"))
    other = registry.caller(registry.add_kiosk("v1", "k9"))
    assert kiosk and other
    # Yesterday, local time: wholly in the past whenever the test runs.
    day = today_at(TZ) - timedelta(days=1)
    midnight, _ = day_bounds(day, TZ)
    minute = 60_000

    def rec(kiosk_id: str, venue: str, at_min: int, seq: int, **fields: Any) -> dict[str, Any]:
        return make_record(
            kiosk_id, venue, seq=seq, created_utc=iso(midnight + at_min * minute), **fields
        )

    mine = [
        rec("k1", "cho", 65, 1),
        rec("k1", "cho", 100, 2),
        rec("k1", "cho", 101, 3, direction="exit"),  # an exit: not an entry
        rec("k1", "cho", 110, 4, verdict="FAIL", reason="expired"),  # refused: not counted
        rec("k1", "cho", 13 * 60 + 59, 5),
        rec("k1", "cho", -1, 6),  # the day before, one minute to midnight
    ]
    registry.ingest(kiosk, mine, 0)
    registry.ingest(other, [rec("k9", "v1", 30, 1)], 0)
    data = PageData(registry.db, 120)
    venue = data.venue("cho")
    assert venue is not None
    hours = data.hourly_entries(venue, day)
    assert hours[1] == 2 and hours[13] == 1 and sum(hours) == 3
    assert data.hourly_entries(venue, day - timedelta(days=1))[23] == 1

    both = data.overview(2, day, tz=TZ)
    assert [d["day"] for d in both] == [day - timedelta(days=1), day]
    assert (both[1]["kiosks"], both[1]["checkins"]) == (2, 4)  # k1 and k9; 3 + v1's 1
    assert (both[0]["kiosks"], both[0]["checkins"]) == (1, 1)
    hcm = data.overview(2, day, "TP. Hồ Chí Minh", "Quận 1", TZ)[1]
    assert (hcm["kiosks"], hcm["checkins"]) == (1, 3)
    assert data.overview(2, day, "Nowhere", "", TZ)[1] == {
        "day": day,
        "venues": 0,
        "kiosks": 0,
        "checkins": 0,
        "declarations": 0,
    }
    assert ("TP. Hồ Chí Minh", "Quận 1") in data.areas()
