"""Who is inside a venue now, from the records its kiosks uploaded: the controller's roll call."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from registry.core.common import Database
from registry.core.pagedata import VenueRow, day_bounds, today_at
from registry.db.models import Record
from registry.db.pruning import kiosk_bound

HOUR_MS = 3_600_000


@dataclass(frozen=True)
class Inside:
    """One person whose latest PASS today at the venue was an entry. `unsure`: the entry is
    older than the venue's `assume_left_after`, or has no subject to match an exit with."""

    masked_name: str
    kiosk_id: str
    entered_ms: int
    unsure: bool


def inside_now(db: Database, venue: VenueRow, now: int, assume_left_after_h: float) -> list[Inside]:
    """Today's PASSes at every kiosk of the venue (its local day), the latest per subject;
    those that are entries, oldest first. The subject is compared, never returned: an ID
    card's is the registry's keyed hash (`idh:`), so its exit at another door matches too."""
    start, end = day_bounds(today_at(venue.timezone, now), venue.timezone)
    with db.session() as s:
        rows = s.execute(
            select(Record.id, Record.subject, Record.direction, Record.kiosk_id,
                   Record.masked_name, Record.created_ms)
            .where(
                Record.venue_id == venue.id, Record.verdict == "PASS",
                Record.created_ms >= start, Record.created_ms < end,
                kiosk_bound(s, start, end).within(Record.kiosk_ms, start, end),
            )
            .order_by(Record.created_ms, Record.seq)
        ).all()  # fmt: skip
    latest: dict[str, tuple[str, str, str, int, bool]] = {}
    for rid, subject, direction, kiosk, name, created in rows:
        key = subject or f"record:{rid}"
        latest[key] = (direction, kiosk, name or "", created, subject is None)
    cutoff = now - int(assume_left_after_h * HOUR_MS)
    inside = [
        Inside(name, kiosk, created, created < cutoff or unmatched)
        for direction, kiosk, name, created, unmatched in latest.values()
        if direction == "entry"
    ]
    return sorted(inside, key=lambda p: (p.entered_ms, p.kiosk_id, p.masked_name))
