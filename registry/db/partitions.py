"""PostgreSQL's daily partitions of `records`, by the kiosk's own clock (`kiosk_ms`)."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

DAY_MS = 86_400_000
# Made ahead of time, so no upload waits for a CREATE TABLE.
AHEAD_DAYS = 7
# Days further back or ahead than these go to the DEFAULT partition: a kiosk whose clock says
# 1970 or 2099 must not make a partition per day it invents.
BACK_DAYS = 62
_EPOCH = date(1970, 1, 1).toordinal()
_NAME = re.compile(r"^records_(\d{8})$")
# Any fixed number: the advisory lock that makes two processes create one partition in turn.
_LOCK = 0x52454344  # "RECD"


def partition_name(day: int) -> str:
    """The partition of day number `day` (days since 1970-01-01, UTC): records_YYYYMMDD."""
    return "records_" + date.fromordinal(_EPOCH + day).isoformat().replace("-", "")


def day_of(name: str) -> int | None:
    m = _NAME.match(name)
    if not m:
        return None
    return date.fromisoformat(m[1]).toordinal() - _EPOCH


def partition_days(conn: Connection) -> set[int]:
    """The days that have a partition of their own."""
    names = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'records'::regclass"
        )
    ).scalars()
    return {d for d in map(day_of, names) if d is not None}


def ensure_partitions(conn: Connection, days: set[int]) -> set[int]:
    """Create the partitions of `days` that are missing; returns the days that now have one.

    A day whose records already sit in the DEFAULT partition gets none (PostgreSQL refuses):
    its records stay there, and retention deletes them by rows.
    """
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK})
    have = partition_days(conn)
    for day in sorted(days - have):
        name = partition_name(day)
        try:
            with conn.begin_nested():
                conn.execute(
                    text(
                        f'CREATE TABLE "{name}" PARTITION OF records '
                        f"FOR VALUES FROM ({day * DAY_MS}) TO ({(day + 1) * DAY_MS})"
                    )
                )
        except DBAPIError as exc:  # a check violation: the DEFAULT partition holds the day
            if getattr(exc.orig, "sqlstate", None) != "23514":
                raise
            continue
        have.add(day)
    return have


def wanted_days(now_ms: int, kiosk_days: set[int]) -> set[int]:
    """Of the days records fall on, those that get a partition, and the days ahead."""
    today = now_ms // DAY_MS
    window = range(today - BACK_DAYS, today + AHEAD_DAYS + 1)
    return {d for d in kiosk_days if d in window} | set(range(today, today + AHEAD_DAYS + 1))


def days_before(conn: Connection, cutoff_ms: int) -> list[int]:
    """The days whose partitions end at or before `cutoff_ms`, oldest first."""
    return sorted(d for d in partition_days(conn) if (d + 1) * DAY_MS <= cutoff_ms)


def drop_partition(conn: Connection, day: int) -> int:
    """Drop a day's partition; returns the records it held."""
    name = partition_name(day)
    # Counted before: an index-only scan of one day, where a DELETE would write every row.
    rows = int(conn.scalar(text(f'SELECT count(*) FROM "{name}"')) or 0)  # noqa: S608
    conn.execute(text(f'DROP TABLE "{name}"'))
    return rows
