"""Statistics from the day counts (venues' and districts'): local days, kept at ingest, paged."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from registry.auth import Role
from registry.db.models import AreaDay, Record, RecordDay
from registry.service import Registry
from support.registry import RegistryServer
from support.registry import make_record as record


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def upload(server: RegistryServer, token: str, records: list[dict[str, Any]]) -> list[str]:
    r = requests.post(
        f"{server.url}/api/v1/records", json={"records": records}, headers=auth(token), timeout=30
    )
    assert r.status_code == 200, r.text
    return [x["status"] for x in r.json()["results"]]


def test_a_record_at_23_30_utc_counts_on_the_next_day_in_ho_chi_minh_city(
    registry: Registry, server: RegistryServer
) -> None:
    kiosk = registry.add_kiosk("v1", "k1")  # v1 is in Asia/Ho_Chi_Minh (UTC+7)
    admin = registry.add_user("boss", Role.ADMIN)
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=3)
    batch = [
        record(created_utc=iso(day + timedelta(hours=16, minutes=59))),  # 23:59 local, day
        record(created_utc=iso(day + timedelta(hours=17))),  # 00:00 local, the next day
        record(created_utc=iso(day + timedelta(hours=23, minutes=30)), direction="exit"),
        record(created_utc=iso(day + timedelta(hours=23, minutes=31)), verdict="FAIL"),
    ]
    assert upload(server, kiosk, batch) == ["accepted"] * 4
    assert upload(server, kiosk, batch) == ["duplicate"] * 4  # counted once
    stats = requests.get(
        f"{server.url}/api/v1/stats", params={"days": 10}, headers=auth(admin), timeout=30
    ).json()
    first, second = day.date().isoformat(), (day + timedelta(days=1)).date().isoformat()
    assert stats["per_venue_day"] == [
        {"venue_id": "v1", "day": first, "entries": 1, "exits": 0, "refused": 0},
        {"venue_id": "v1", "day": second, "entries": 1, "exits": 1, "refused": 1},
    ]
    assert stats["per_area_day"] == [
        {"province": "Hà Nội", "district": "Hoàn Kiếm", "day": d, **counts}
        for d, counts in (
            (first, {"entries": 1, "exits": 0, "refused": 0}),
            (second, {"entries": 1, "exits": 1, "refused": 1}),
        )
    ]
    assert stats["next_after"] is None


def test_the_window_is_each_venues_own_last_days(
    registry: Registry, server: RegistryServer
) -> None:
    registry.add_venue("v2", "Venue Two", timezone="UTC")
    admin = registry.add_user("boss", Role.ADMIN)
    now = datetime.now(UTC)
    old = now - timedelta(days=2)
    for venue in ("v1", "v2"):
        upload(server, registry.add_kiosk(venue, "k1"), [
            record(venue=venue, created_utc=iso(now - timedelta(minutes=1))),
            record(venue=venue, created_utc=iso(old)),
        ])  # fmt: skip
    zones = (("v1", "Asia/Ho_Chi_Minh"), ("v2", "UTC"))

    def today() -> dict[str, str]:
        return {v: datetime.now(ZoneInfo(tz)).date().isoformat() for v, tz in zones}

    before = today()
    stats = requests.get(
        f"{server.url}/api/v1/stats", params={"days": 1}, headers=auth(admin), timeout=30
    ).json()
    after = today()
    # Only today at each venue, in its own zone (a midnight may pass during the request); the
    # record two days old is never in it.
    for row in stats["per_venue_day"]:
        assert row["day"] in (before[row["venue_id"]], after[row["venue_id"]])
    assert {row["venue_id"] for row in stats["per_venue_day"]} <= {"v1", "v2"}


def test_venue_days_come_a_page_at_a_time_in_a_stable_order(
    registry: Registry, server: RegistryServer
) -> None:
    admin = registry.add_user("boss", Role.ADMIN)
    base = datetime.now(UTC) - timedelta(days=3)
    for n in range(4):
        venue = f"p{n}"
        registry.add_venue(venue, f"Venue {n}", district=f"D{n % 2}", province="P")
        upload(server, registry.add_kiosk(venue, "k1"), [
            record(venue=venue, created_utc=iso(base + timedelta(days=d))) for d in range(3)
        ])  # fmt: skip
    url = f"{server.url}/api/v1/stats"
    whole = requests.get(url, params={"days": 7}, headers=auth(admin), timeout=30).json()
    assert len(whole["per_venue_day"]) >= 4 * 2  # three records, on two or three local days
    pages: list[dict[str, Any]] = []
    params: dict[str, Any] = {"days": 7, "limit": 3}
    for _ in range(20):
        page = requests.get(url, params=params, headers=auth(admin), timeout=30).json()
        assert len(page["per_venue_day"]) <= 3
        assert page["per_area_day"] == whole["per_area_day"]  # areas come whole on each page
        pages += page["per_venue_day"]
        if page["next_after"] is None:
            break
        params.update(
            after_venue=page["next_after"]["venue_id"], after_day=page["next_after"]["day"]
        )
    assert pages == whole["per_venue_day"]
    keys = [(p["venue_id"], p["day"]) for p in pages]
    assert keys == sorted(keys)
    assert {a["district"] for a in whole["per_area_day"]} == {"D0", "D1"}


def test_paging_arguments_are_checked(registry: Registry, server: RegistryServer) -> None:
    admin = registry.add_user("boss", Role.ADMIN)
    url = f"{server.url}/api/v1/stats"
    # A venue alone starts after its last day; a day alone says nothing.
    for alone in ({"after_venue": "v1"}, {"after_day": "2026-01-01"}):
        r = requests.get(url, params=alone, headers=auth(admin), timeout=30)
        assert r.status_code == 200, alone
    for params in (
        {"after_venue": "v1", "after_day": "yesterday"},
        {"after_venue": "v\x00", "after_day": "2026-01-01"},
        {"limit": 0},
        {"limit": 10_001},
    ):
        r = requests.get(url, params=params, headers=auth(admin), timeout=30)
        assert r.status_code == 422, params


_venues = itertools.count()
ZONES = ("Asia/Ho_Chi_Minh", "UTC", "America/New_York", "Asia/Kathmandu")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=25)
@given(
    zone=st.sampled_from(ZONES),
    batches=st.lists(
        st.lists(
            st.tuples(
                st.integers(0, 6 * 24 * 60),  # minutes before now
                st.sampled_from(["entry", "exit"]),
                st.sampled_from(["PASS", "FAIL"]),
            ),
            min_size=1,
            max_size=20,
        ),
        min_size=1,
        max_size=4,
    ),
)
@pytest.mark.slow
def test_day_counts_always_equal_the_records_counted_by_local_day(
    registry: Registry, zone: str, batches: list[list[tuple[int, str, str]]]
) -> None:
    venue = f"h{next(_venues)}"
    registry.add_venue(venue, "Generated", district=venue, province="P", timezone=zone)
    caller = registry.caller(registry.add_kiosk(venue, "k1"))
    assert caller is not None
    now = datetime.now(UTC)
    sent: list[dict[str, Any]] = []
    for batch in batches:
        records = [
            record(venue=venue, created_utc=iso(now - timedelta(minutes=m)), direction=d, verdict=v)
            for m, d, v in batch
        ]
        # A batch may repeat records sent before: those are duplicates, not counted again.
        registry.ingest(caller, records + sent[-3:], None)
        sent += records
    with registry.session() as s:
        rows = s.execute(
            select(Record.created_ms, Record.direction, Record.verdict).where(
                Record.venue_id == venue
            )
        ).all()
        counted = {
            (d.day, d.direction, d.verdict): d.count
            for d in s.scalars(select(RecordDay).where(RecordDay.venue_id == venue))
        }
        # The venue's district (its own here) counts the same, in the venue's zone.
        in_district = {
            (a.day, a.direction, a.verdict): a.count
            for a in s.scalars(
                select(AreaDay).where(
                    AreaDay.district == venue, AreaDay.province == "P", AreaDay.timezone == zone
                )
            )
        }
    expected = Counter(
        (datetime.fromtimestamp(ms / 1000, ZoneInfo(zone)).date().isoformat(), d, v)
        for ms, d, v in rows
    )
    assert len(rows) == len(sent)
    assert counted == dict(expected)
    assert in_district == dict(expected)


@pytest.mark.parametrize("verdict", ["PASS", "FAIL"])
def test_the_live_view_counts_today_from_the_day_counts(
    registry: Registry, server: RegistryServer, verdict: str
) -> None:
    kiosk = registry.add_kiosk("v1", "k1")
    admin = registry.add_user("boss", Role.ADMIN)
    upload(server, kiosk, [record(verdict=verdict), record(created_utc="2020-01-01T00:00:00.000Z")])
    live = requests.get(f"{server.url}/api/v1/venues/v1/live", headers=auth(admin), timeout=30)
    today = live.json()["today"]
    # A record made just now is today's unless the venue's midnight passed in between.
    assert today["entries"] + today["fails"] <= 1
    assert today["fails"] == 0 or verdict == "FAIL"


def test_tracing_and_statistics_read_the_replica_and_audit_on_the_primary(
    registry: Registry, tmp_path: Path
) -> None:
    from dataclasses import replace

    from checkin_protocol.records import Subject
    from registry.auth import Caller
    from registry.db.models import AuditEntry
    from registry.settings import Settings

    # A "replica" that is behind: a database of its own, set up but empty.
    behind = Registry(Settings(data_dir=tmp_path / "r", database_url=f"sqlite:///{tmp_path}/r.db"))
    behind.init()
    behind.engine.dispose()
    caller = registry.caller(registry.add_kiosk("v1", "k1"))
    assert caller is not None
    registry.ingest(caller, [record(subject="qid:CASE0001")], None)
    on_replica = Registry(replace(registry.settings, replica_url=f"sqlite:///{tmp_path}/r.db"))
    officer = Caller(1, Role.HEALTH_OFFICER, "doc", frozenset(), None, None)
    try:
        assert registry.stats(1)["per_venue_day"] != []
        assert on_replica.stats(1)["per_venue_day"] == []
        assert on_replica.trace(officer, Subject.parse("qid:CASE0001"), 30, None)["visits"] == []
        with registry.session() as s:
            traced = s.scalars(select(AuditEntry.action).where(AuditEntry.action == "trace"))
            assert list(traced) == ["trace"]
    finally:
        on_replica.replica.engine.dispose()
        on_replica.engine.dispose()
