"""The admin's dates are the venue's local dates, daylight saving time included."""

from __future__ import annotations

import argparse
import contextlib
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.cli.localtime import check_when, local, resolve, today_bounds

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 23, 1, 30, tzinfo=HANOI).timestamp()  # 01:30 local, still 22 Nov UTC


def test_today_and_yesterday_are_local_days() -> None:
    assert resolve("today", HANOI, NOW) == datetime(2026, 11, 23, tzinfo=HANOI).timestamp()
    assert resolve("yesterday", HANOI, NOW) == datetime(2026, 11, 22, tzinfo=HANOI).timestamp()
    assert (
        resolve("today", HANOI, NOW, end=True) == datetime(2026, 11, 24, tzinfo=HANOI).timestamp()
    )
    assert today_bounds(NOW, HANOI) == (
        resolve("today", HANOI, NOW), resolve("today", HANOI, NOW, end=True),
    )  # fmt: skip


def test_a_date_is_a_whole_local_day_and_a_time_is_taken_as_it_is() -> None:
    start = resolve("2026-03-29", BERLIN, NOW)
    end = resolve("2026-03-29", BERLIN, NOW, end=True)
    assert end - start == 23 * 3600  # the spring-forward day has 23 hours
    assert (
        resolve("2026-11-23T08:00", HANOI, NOW)
        == datetime(2026, 11, 23, 1, 0).replace(tzinfo=ZoneInfo("UTC")).timestamp()
    )
    assert (
        resolve("2026-11-23T08:00Z", HANOI, NOW)
        == datetime(2026, 11, 23, 8, tzinfo=ZoneInfo("UTC")).timestamp()
    )


@pytest.mark.parametrize("bad", ["tomorrow", "2026-02-30", "23.11.2026", "", "now"])
def test_anything_else_is_a_usage_error(bad: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        check_when(bad)


def test_local_shows_stored_times_on_the_venue_clock() -> None:
    assert local("2026-11-22T18:30:00.000Z", HANOI) == "2026-11-23 01:30:00"
    assert local(None, HANOI) == "-"
    assert local("garbage", HANOI) == "garbage"


@given(st.text(max_size=40) | st.dates().map(str) | st.datetimes().map(datetime.isoformat))
def test_any_when_is_accepted_and_resolved_or_a_usage_error(value: str) -> None:
    try:
        checked = check_when(value)
    except argparse.ArgumentTypeError:
        return
    for end in (False, True):
        # Out of range is the CLI's "a date out of range", exit 2; nothing else may escape.
        with contextlib.suppress(ValueError, OverflowError):
            resolve(checked, BERLIN, NOW, end=end)
