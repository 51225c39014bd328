"""Daily partitions of records on PostgreSQL: by the kiosk's own day, dropped whole by retention."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from checkin_protocol.messages import RecordStatus
from registry.auth import Caller
from registry.core.common import now_ms
from registry.db.models import Record
from registry.db.partitions import (
    AHEAD_DAYS,
    BACK_DAYS,
    DAY_MS,
    day_of,
    ensure_partitions,
    partition_days,
    partition_name,
)
from registry.service import Registry
from support.registry import make_record


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def postgresql_only(registry: Registry) -> None:
    if registry.engine.dialect.name != "postgresql":
        pytest.skip("partitions are PostgreSQL's")


def where(registry: Registry) -> dict[str, str]:
    """Each record's partition, by record id."""
    with registry.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, tableoid::regclass::text FROM records")).all()
    return {rid: table for rid, table in rows}


def caller(registry: Registry) -> Caller:
    found = registry.caller(registry.add_kiosk("v1", "k1"))
    assert found is not None
    return found


# Every day of the calendar, years 1 to 9999.
@given(st.integers(min_value=-719_162, max_value=2_932_896))
def test_a_partitions_name_gives_back_its_day(day: int) -> None:
    assert day_of(partition_name(day)) == day


def test_a_record_resent_with_another_clock_offset_is_still_a_duplicate(
    registry: Registry,
) -> None:
    who = caller(registry)
    record = make_record()
    first = registry.ingest(who, [record], 0)
    # The kiosk measured its clock again before resending: another offset, the same record.
    again = registry.ingest(who, [record], -3 * DAY_MS)
    assert [r.status for r in first + again] == [RecordStatus.ACCEPTED, RecordStatus.DUPLICATE]
    with registry.session() as s:
        assert s.scalar(select(func.count()).select_from(Record)) == 1
        assert s.scalar(select(Record.created_ms - Record.kiosk_ms)) == 0


def test_records_go_to_their_kiosk_days_partition_or_the_default_one(
    registry: Registry,
) -> None:
    postgresql_only(registry)
    who = caller(registry)
    now = now_ms()
    today = now // DAY_MS
    recent = make_record(created_utc=iso(now - 5 * DAY_MS))
    # The kiosk's clock a year ahead, corrected by the offset: far ahead, no partition made.
    ahead = make_record(created_utc=iso(now + 365 * DAY_MS))
    ancient = make_record(created_utc="2001-01-01T00:00:00.000Z")
    results = registry.ingest(who, [recent, ahead], -365 * DAY_MS)
    results += registry.ingest(who, [ancient], None)
    assert {r.status for r in results} == {RecordStatus.ACCEPTED}
    placed = where(registry)
    # The offset moved `recent` a year back in created_ms; its kiosk day decides all the same.
    assert placed[recent["id"]] == partition_name(today - 5)
    assert placed[ahead["id"]] == "records_default"
    assert placed[ancient["id"]] == "records_default"
    with registry.engine.connect() as conn:
        assert set(range(today, today + AHEAD_DAYS + 1)) <= partition_days(conn)


def test_a_day_the_default_partition_holds_gets_no_partition_of_its_own(
    registry: Registry,
) -> None:
    postgresql_only(registry)
    who = caller(registry)
    day = now_ms() // DAY_MS + AHEAD_DAYS + 40
    record = make_record(created_utc=iso(day * DAY_MS + 1000))
    assert registry.ingest(who, [record], -(day * DAY_MS - now_ms()))[0].status == "accepted"
    with registry.engine.begin() as conn:
        assert day not in ensure_partitions(conn, {day})  # refused by PostgreSQL, not raised
    assert where(registry)[record["id"]] == "records_default"
    # Later batches of that day keep going to the DEFAULT partition.
    later = make_record(created_utc=iso(day * DAY_MS + 2000))
    assert registry.ingest(who, [later], -(day * DAY_MS - now_ms()))[0].status == "accepted"
    assert where(registry)[later["id"]] == "records_default"


def test_retention_drops_a_past_days_partition_whole(registry: Registry) -> None:
    postgresql_only(registry)
    who = caller(registry)
    now = now_ms()
    old_day = now // DAY_MS - registry.settings.retention_days - 3
    assert old_day > now // DAY_MS - BACK_DAYS  # inside the window: a partition of its own
    old = [make_record(created_utc=iso(old_day * DAY_MS + n)) for n in range(3)]
    fresh = make_record()
    registry.ingest(who, [*old, fresh], None)
    assert where(registry)[old[0]["id"]] == partition_name(old_day)
    assert registry.purge()["records"] == 3
    with registry.engine.connect() as conn:
        days = partition_days(conn)
    assert old_day not in days
    assert now // DAY_MS + AHEAD_DAYS in days  # the days ahead, made by the same run
    assert list(where(registry)) == [fresh["id"]]
