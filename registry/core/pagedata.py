"""Read-only queries behind the web pages: what a page shows and the JSON API does not carry
(refusal reasons, a day's history by the venue's own calendar, kiosks across venues).

Nothing here writes: tracing (which must be audited) goes through the facade's trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select

from checkin_protocol.records import mask_subject
from registry.core.common import Database, now_ms
from registry.core.views import day_counts, latest_records
from registry.db.models import (
    Declaration,
    DenyEntry,
    IssuerKey,
    Kiosk,
    ListVersion,
    Record,
    Venue,
)
from registry.db.pruning import kiosk_bound
from registry.settings import Settings

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


@dataclass(frozen=True)
class VenueRow:
    id: str
    name: str
    district: str
    province: str
    timezone: str


def _venue_row(v: Venue) -> VenueRow:
    return VenueRow(v.id, v.name, v.district, v.province, v.timezone)


def day_bounds(day: date, tz: str) -> tuple[int, int]:
    """[start, end) of a calendar day at the venue, in epoch ms (DST-safe: two midnights)."""
    zone = ZoneInfo(tz)
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), zone)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


def today_at(tz: str, at_ms: int | None = None) -> date:
    return datetime.fromtimestamp((at_ms or now_ms()) / 1000, ZoneInfo(tz)).date()


def record_row(r: Record) -> dict[str, Any]:
    return {
        "time_ms": r.created_ms,
        "kiosk_id": r.kiosk_id,
        "direction": r.direction,
        "verdict": r.verdict,
        "reason": r.reason,
        "manual": r.manual,
        "masked_name": r.masked_name or "",
        "subject": mask_subject(r.subject) or "",
    }


class PageData:
    def __init__(
        self,
        db: Database,
        online_window_s: int,
        *,
        retention_days: int = Settings.retention_days,
        max_future_ms: int = Settings.max_future_ms,
    ) -> None:
        self.db = db
        self.online_window_ms = online_window_s * 1000
        # How far back a venue's latest records are looked for, and how far ahead.
        self.retention_days = retention_days
        self.max_future_ms = max_future_ms

    def venues(self, ids: frozenset[str] | None = None) -> list[VenueRow]:
        """All venues, or those among `ids` (a controller's), by name."""
        q = select(Venue).order_by(Venue.name)
        if ids is not None:
            q = q.where(Venue.id.in_(sorted(ids)))
        with self.db.session() as s:
            return [_venue_row(v) for v in s.scalars(q)]

    def venue(self, venue_id: str) -> VenueRow | None:
        with self.db.session() as s:
            v = s.get(Venue, venue_id)
            return _venue_row(v) if v is not None else None

    def venue_names(self, ids: set[str]) -> dict[str, str]:
        with self.db.session() as s:
            return dict(s.execute(select(Venue.id, Venue.name).where(Venue.id.in_(ids))).all())

    def live(self, venue: VenueRow, refusals: int = 20, recent: int = 20) -> dict[str, Any]:
        """Today's counts at the whole venue (its own midnight), refusals, recent, kiosks."""
        now = now_ms()
        start, end = day_bounds(today_at(venue.timezone, now), venue.timezone)
        with self.db.session() as s:
            bound = kiosk_bound(s, start, end)
            today = (
                Record.venue_id == venue.id,
                Record.created_ms >= start,
                Record.created_ms < end,
                bound.within(Record.kiosk_ms, start, end),
            )
            counts = day_counts(s, venue.id, start, end)
            fails = s.scalars(
                select(Record)
                .where(*today, Record.verdict == "FAIL")
                .order_by(Record.created_ms.desc())
                .limit(refusals)
            ).all()
            latest = latest_records(
                s,
                venue.id,
                recent,
                now,
                retention_days=self.retention_days,
                max_future_ms=self.max_future_ms,
            )
        return {
            "now_ms": now,
            "entries": counts.entries,
            "exits": counts.exits,
            "inside": counts.inside,
            "refused": counts.refused,
            "refusals": [record_row(r) for r in fails],
            "recent": [record_row(r) for r in latest],
            "kiosks": self.kiosks(venue.id, now),
        }

    def kiosks(self, venue_id: str | None = None, now: int | None = None) -> list[dict[str, Any]]:
        now = now or now_ms()
        q = select(Kiosk).order_by(Kiosk.venue_id, Kiosk.id)
        if venue_id is not None:
            q = q.where(Kiosk.venue_id == venue_id)
        with self.db.session() as s:
            rows = s.scalars(q).all()
        return [
            {
                "venue_id": k.venue_id,
                "id": k.id,
                "online": bool(k.last_seen_ms and now - k.last_seen_ms < self.online_window_ms),
                "last_seen_ms": k.last_seen_ms,
                "version": k.version or "",
                "queue_depth": k.queue_depth,
                "trust_version": k.trust_version,
                "deny_version": k.deny_version,
            }
            for k in rows
        ]

    def history(
        self, venue: VenueRow, day: date, offset: int = 0, limit: int | None = 50
    ) -> tuple[int, list[dict[str, Any]]]:
        """(how many, a page of them): a day's records at the venue, oldest first."""
        start, end = day_bounds(day, venue.timezone)
        with self.db.session() as s:
            where = (
                Record.venue_id == venue.id,
                Record.created_ms >= start,
                Record.created_ms < end,
                kiosk_bound(s, start, end).within(Record.kiosk_ms, start, end),
            )
            total = s.scalar(select(func.count()).select_from(Record).where(*where)) or 0
            q = select(Record).where(*where).order_by(Record.created_ms, Record.seq).offset(offset)
            rows = s.scalars(q.limit(limit) if limit is not None else q).all()
        return total, [record_row(r) for r in rows]

    def list_versions(self) -> dict[str, int]:
        with self.db.session() as s:
            return dict(s.execute(select(ListVersion.name, ListVersion.version)).all())

    def trusted_issuer_pems(self) -> list[str]:
        """The issuer keys a pass may be signed with now (as on the trust list kiosks get)."""
        now = now_ms()
        with self.db.session() as s:
            rows = s.scalars(select(IssuerKey)).all()
        return [
            k.public_pem for k in rows if k.trusted_until_ms is None or k.trusted_until_ms > now
        ]

    def denied(self, subject: str) -> bool:
        """Whether a subject is on the deny list now (the reason stays private)."""
        with self.db.session() as s:
            entry = s.get(DenyEntry, subject)
            return entry is not None and entry.expires_ms > now_ms()

    def hourly_entries(self, venue: VenueRow, day: date) -> list[int]:
        """Admitted entries at the venue in each hour of its local day (0–23)."""
        start, end = day_bounds(day, venue.timezone)
        hour = ((Record.created_ms - start) // HOUR_MS).label("hour")  # floor division on both
        with self.db.session() as s:
            rows = s.execute(
                select(hour, func.count())
                .where(
                    Record.venue_id == venue.id,
                    Record.created_ms >= start,
                    Record.created_ms < end,
                    kiosk_bound(s, start, end).within(Record.kiosk_ms, start, end),
                    Record.verdict == "PASS",
                    Record.direction == "entry",
                )
                .group_by(hour)
            ).all()
        counts = [0] * 24
        for h, n in rows:
            # A day with a DST change has 23 or 25 hours: its 25th counts with the 24th.
            counts[min(max(int(h), 0), 23)] += int(n)
        return counts

    def areas(self) -> list[tuple[str, str]]:
        """(province, district) of every venue, for the overview's choice of area."""
        with self.db.session() as s:
            rows = s.execute(
                select(Venue.province, Venue.district)
                .distinct()
                .order_by(Venue.province, Venue.district)
            ).all()
        return [(p, d) for p, d in rows]

    def overview(
        self, days: int, today: date, province: str = "", district: str = "", tz: str = ""
    ) -> list[dict[str, Any]]:
        """Per local day, oldest first: venues registered (by the day's end), kiosks that
        sent records that day, admitted check-ins, and declarations, in the area chosen
        ("" for all). Declarations carry no place: they are counted registry-wide."""
        zone = tz or "Asia/Ho_Chi_Minh"
        first = today - timedelta(days=days - 1)
        start, _ = day_bounds(first, zone)
        _, end = day_bounds(today, zone)
        bounds = [day_bounds(first + timedelta(days=i), zone) for i in range(days)]
        where: list[Any] = []
        if province:
            where.append(Venue.province == province)
        if district:
            where.append(Venue.district == district)
        # A fixed offset per day bucket is exact for zones without DST (all of Vietnam's).
        offset = bounds[0][0]
        day_no = ((Record.created_ms - offset) // DAY_MS).label("day")
        in_area = Record.venue_id.in_(select(Venue.id).where(*where)) if where else None
        rec_where = [Record.created_ms >= start, Record.created_ms < end]
        if in_area is not None:
            rec_where.append(in_area)
        with self.db.session() as s:
            rec_where.append(kiosk_bound(s, start, end).within(Record.kiosk_ms, start, end))
            created = s.scalars(select(Venue.created_ms).where(*where)).all()
            # One pass over the span's records for both figures (the span is most of the
            # table: a second scan would double the page's cost).
            admitted = case(
                (and_(Record.verdict == "PASS", Record.direction == "entry"), 1), else_=0
            )
            per_day = {
                int(d): (int(k), int(e or 0))
                for d, k, e in s.execute(
                    select(
                        day_no,
                        func.count(func.distinct(Record.venue_id + "/" + Record.kiosk_id)),
                        func.sum(admitted),
                    )
                    .where(*rec_where)
                    .group_by(day_no)
                ).all()
            }
            decl_no = ((Declaration.created_ms - offset) // DAY_MS).label("day")
            declared = dict(
                s.execute(
                    select(decl_no, func.count())
                    .where(Declaration.created_ms >= start, Declaration.created_ms < end)
                    .group_by(decl_no)
                ).all()
            )
        return [
            {
                "day": first + timedelta(days=i),
                "venues": sum(1 for c in created if c < day_end),
                "kiosks": per_day.get(i, (0, 0))[0],
                "checkins": per_day.get(i, (0, 0))[1],
                "declarations": int(declared.get(i, 0)),
            }
            for i, (_, day_end) in enumerate(bounds)
        ]
