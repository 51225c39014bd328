"""The admin's time: the venue's local dates and clock, for `kiosk export` and `kiosk status`."""

from __future__ import annotations

import argparse
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from checkin_protocol.times import parse_iso

WHEN_HELP = "today, yesterday, a local date (YYYY-MM-DD) or an ISO time (local unless it says)"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _parse(value: str) -> date | datetime:
    """A keyword is handled by the caller; this reads a date or a date and time."""
    if _DATE.match(value):
        return date.fromisoformat(value)
    from checkin_protocol.times import parse_iso_datetime

    return parse_iso_datetime(value)


def check_when(value: str) -> str:
    """argparse type: the form is checked at once; it is resolved once the zone is known."""
    if value in ("today", "yesterday"):
        return value
    try:
        _parse(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not {WHEN_HELP}: {value!r}") from None
    return value


def midnight(day: date, zone: ZoneInfo) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()


def resolve(value: str, zone: ZoneInfo, now: float, *, end: bool = False) -> float:
    """Epoch seconds for a --since (start of the day named) or an --until (`end`: the day
    named is included, so the bound is the next midnight). Times are taken as they are."""
    today = datetime.fromtimestamp(now, zone).date()
    if value in ("today", "yesterday"):
        day = today if value == "today" else today - timedelta(days=1)
    else:
        parsed = _parse(value)
        if isinstance(parsed, datetime):
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)).timestamp()
        day = parsed
    return midnight(day + timedelta(days=1) if end else day, zone)


def today_bounds(now: float, zone: ZoneInfo) -> tuple[float, float]:
    today = datetime.fromtimestamp(now, zone).date()
    return midnight(today, zone), midnight(today + timedelta(days=1), zone)


def local(iso: str | None, zone: ZoneInfo) -> str:
    """A UTC ISO time on the venue's wall clock, or "-"."""
    if not iso:
        return "-"
    try:
        return datetime.fromtimestamp(parse_iso(iso), zone).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso  # shown as stored rather than hidden
