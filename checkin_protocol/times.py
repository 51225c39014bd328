"""Time on the wire: millisecond UTC ISO strings, epoch conversions and durations with units."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from typing import Any

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
# The one textual form records carry: sorts as text, always UTC, always milliseconds.
ISO_MS_PATTERN = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"


def utc_iso(epoch: float) -> str:
    """Millisecond UTC timestamps that sort as text: `2026-11-22T01:02:03.456Z`."""
    return iso_ms(round(epoch * 1000))


def iso_ms(ms: int) -> str:
    """`utc_iso` of an epoch in milliseconds, in integers (a float loses the last ms by 2300)."""
    seconds, millis = divmod(ms, 1000)
    moment = datetime.fromtimestamp(seconds, UTC)
    # Not strftime("%Y"): glibc writes year 999 as "999", which would not sort as text.
    return f"{moment.year:04d}-" + moment.strftime("%m-%dT%H:%M:%S") + f".{millis:03d}Z"


def parse_iso_datetime(text: str, zone: tzinfo | None = None) -> datetime:
    """An ISO 8601 date and time, `Z` or an offset: without one it takes `zone`, or stays
    naive when no zone is given. ValueError if it is not one. Every program's ISO times are
    read here, so that all of them accept and refuse the same forms."""
    moment = datetime.fromisoformat(text)  # Python 3.11 reads `Z` and every ISO 8601 form
    if moment.tzinfo is None and zone is not None:
        moment = moment.replace(tzinfo=zone)
    return moment


def parse_iso(text: str) -> float:
    """An ISO 8601 time (a `Z` or an offset) → epoch seconds; ValueError if it is not one."""
    parsed = parse_iso_datetime(text)
    if parsed.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone")
    return parsed.timestamp()


def parse_iso_ms(text: str) -> int:
    """`parse_iso` in whole milliseconds."""
    return round(parse_iso(text) * 1000)


def parse_duration(value: Any) -> float:
    """`30s`, `24h`, `21d`, `500ms` → seconds. Bare numbers are refused: the unit must be said."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError("a duration needs a unit, e.g. '30s', '5m', '24h', '21d'")
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"not a duration: {value!r} (use e.g. '500ms', '30s', '5m', '24h', '21d')")
    return float(match.group(1)) * _UNITS[match.group(2)]
