"""checkin_protocol.times.parse_iso_datetime: the one reader of ISO times for every program."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkin_protocol.times import parse_iso, parse_iso_datetime

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda m: timezone(timedelta(minutes=m))
)
moments = st.datetimes(
    min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=offsets
)


@given(moments)
def test_any_aware_time_written_in_iso_8601_reads_back_as_itself(moment: datetime) -> None:
    assert parse_iso_datetime(moment.isoformat()) == moment
    assert parse_iso(moment.isoformat()) == moment.timestamp()


@given(st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31)))
def test_a_time_without_offset_takes_the_zone_given_or_stays_naive(naive: datetime) -> None:
    text = naive.isoformat()
    assert parse_iso_datetime(text) == naive and parse_iso_datetime(text).tzinfo is None
    assert parse_iso_datetime(text, HANOI) == naive.replace(tzinfo=HANOI)


def test_z_is_utc_and_an_offset_wins_over_the_zone_given() -> None:
    assert parse_iso_datetime("2026-01-01T00:00:00.000Z") == datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_iso_datetime("2026-01-01T07:00:00+07:00", UTC) == datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_iso("2026-01-01T00:00:00Z") == 1767225600.0


@pytest.mark.parametrize(
    "text", ["", "yesterday", "2026-13-01T00:00:00Z", "2026-01-01T25:00:00Z", "1/1/2026", "١٢"]
)
def test_what_is_not_an_iso_time_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match=r"isoformat|must be in"):
        parse_iso_datetime(text)


def test_parse_iso_refuses_a_time_without_a_zone() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        parse_iso("2026-01-01T00:00:00")
