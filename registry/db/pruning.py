"""Bounds on the kiosk's clock (kiosk_ms) that let PostgreSQL plan only the days asked for."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select, text, true
from sqlalchemy.orm import Session

from checkin_protocol.messages import MAX_OFFSET_MS
from registry.db.models import RoutedOffset, SkewedDay
from registry.db.partitions import DAY_MS

# Records are partitioned by the kiosk's own time, queries ask for registry times (created_ms
# = kiosk_ms + the batch's clock offset), and the registry accepts offsets of up to ten years:
# a bound of ±ten years would keep every partition. So a record whose offset is within the
# routed offset (a setting) is found by kiosk_ms alone, within that much of the times asked
# for; one from a kiosk further off has its (registry day, kiosk day) in `skewed_days`, a few
# rows, and the days listed there for the days asked for are added to the bound.


def skewed_pairs(rows: Iterable[dict[str, Any]], routed_offset_ms: int) -> list[dict[str, int]]:
    """The `skewed_days` rows a batch's records need: those off by more than the offset."""
    pairs = {
        (row["created_ms"] // DAY_MS, row["kiosk_ms"] // DAY_MS)
        for row in rows
        if abs(row["created_ms"] - row["kiosk_ms"]) > routed_offset_ms
    }
    # Sorted: two batches insert shared pairs in the same order, never waiting on each other.
    return [{"created_day": c, "kiosk_day": k} for c, k in sorted(pairs)]


@dataclass(frozen=True)
class KioskBound:
    """Where, by kiosk time, the records created in a stretch of registry time can be."""

    offset_ms: int  # the routed offset in force: records within it are found by time alone
    skewed: tuple[int, ...]  # kiosk days of records from kiosks further off
    active: bool = True  # False: SQLite, one table, nothing to prune

    def within(self, column: Any, lo_ms: int, hi_ms: int) -> ColumnElement[bool]:
        """`column` (a kiosk_ms) of a record created in [lo_ms, hi_ms]: a range per stretch."""
        if not self.active:
            return true()
        spans = [(lo_ms - self.offset_ms, hi_ms + self.offset_ms + 1)]
        spans += [(d * DAY_MS, (d + 1) * DAY_MS) for d in self.skewed]
        merged: list[tuple[int, int]] = []
        for a, b in sorted(spans):
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        return or_(*(and_(column >= a, column < b) for a, b in merged))

    def near(self, column: Any, created: Any, window_ms: int) -> ColumnElement[bool]:
        """`column` (a kiosk_ms) of a record routed by time alone, created within ±window of
        `created` (another row's created_ms): PostgreSQL prunes it row by row as it joins."""
        if not self.active:
            return true()
        reach = window_ms + self.offset_ms
        return and_(column >= created - reach, column <= created + reach)


def kiosk_bound(s: Session, lo_ms: int, hi_ms: int) -> KioskBound:
    """The bound for records created in [lo_ms, hi_ms] (two small reads on PostgreSQL)."""
    if s.get_bind().dialect.name != "postgresql":
        return KioskBound(0, (), active=False)
    # One round trip: the stored offset, and the kiosk days listed for the days asked for.
    stored, days = s.execute(
        select(
            select(RoutedOffset.offset_ms).where(RoutedOffset.id == 1).scalar_subquery(),
            func.array(
                select(SkewedDay.kiosk_day)
                .where(
                    SkewedDay.created_day >= lo_ms // DAY_MS,
                    SkewedDay.created_day <= hi_ms // DAY_MS,
                )
                .distinct()
                .scalar_subquery()
            ),
        )
    ).one()
    # No row: nothing says what was routed by time alone, so nothing is ruled out.
    offset = MAX_OFFSET_MS if stored is None else int(stored)
    return KioskBound(offset, tuple(sorted(days or ())))


def raise_routed_offset(conn: Connection, offset_ms: int) -> None:
    """Make the stored offset at least `offset_ms` (PostgreSQL), committed before any record
    is routed with it: a query bounded by the stored one then misses none of them."""
    conn.execute(
        text(
            "INSERT INTO routed_offset (id, offset_ms) VALUES (1, :o) ON CONFLICT (id) DO "
            "UPDATE SET offset_ms = greatest(routed_offset.offset_ms, excluded.offset_ms)"
        ),
        {"o": offset_ms},
    )
