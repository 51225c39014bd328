"""What people look at: live view, contact tracing (audited), the audit log, statistics."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    and_,
    case,
    cast,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from checkin_protocol.privacy import normalize_id_number
from checkin_protocol.records import Subject, mask_subject
from registry.auth import Caller
from registry.core.common import Database, RegistryError, iso_ms, now_ms
from registry.core.common import audit as audit_entry
from registry.core.idnumbers import id_number_problem
from registry.core.subjects import same_person
from registry.db.models import (
    AreaDay,
    AuditEntry,
    Kiosk,
    Record,
    RecordDay,
    SkewedDay,
    Venue,
)
from registry.db.partitions import DAY_MS
from registry.db.pruning import KioskBound, kiosk_bound
from registry.keys import RegistryKeys
from registry.settings import DAY, Settings


def _recent(r: Record) -> dict[str, Any]:
    return {
        "time": iso_ms(r.created_ms),
        "kiosk_id": r.kiosk_id,
        "direction": r.direction,
        "verdict": r.verdict,
        "code_kind": r.code_kind,
        "verified": r.verified,
        "masked_name": r.masked_name,
        "subject": mask_subject(r.subject),
    }


@dataclass(frozen=True)
class DayCounts:
    """A venue's admitted entries and exits, and refusals, over one stretch of its day."""

    entries: int
    exits: int
    refused: int

    @property
    def inside(self) -> int:
        return max(0, self.entries - self.exits)


def day_counts(s: Session, venue_id: str, start_ms: int, end_ms: int) -> DayCounts:
    """Counted by the database, for the API's live view and the controller's page alike."""
    bound = kiosk_bound(s, start_ms, end_ms)
    when = [
        Record.venue_id == venue_id,
        Record.created_ms >= start_ms,
        Record.created_ms < end_ms,
        bound.within(Record.kiosk_ms, start_ms, end_ms),
    ]
    passed = dict(
        s.execute(
            select(Record.direction, func.count())
            .where(*when, Record.verdict == "PASS")
            .group_by(Record.direction)
        ).all()
    )
    refused = s.scalar(
        select(func.count()).select_from(Record).where(*when, Record.verdict == "FAIL")
    )
    return DayCounts(passed.get("entry", 0), passed.get("exit", 0), refused or 0)


def today_counts(s: Session, venue: Venue, now: int) -> DayCounts:
    """Today at the venue (from its own midnight, as on its kiosks' occupancy count), read
    from the day counts: a few rows, however busy the venue."""
    rows = s.execute(
        select(RecordDay.direction, RecordDay.verdict, RecordDay.count).where(
            RecordDay.venue_id == venue.id, RecordDay.day == _first_day(venue.timezone, now, 1)
        )
    ).all()
    passed = {d: n for d, v, n in rows if v == "PASS"}
    refused = sum(n for _, v, n in rows if v == "FAIL")
    return DayCounts(passed.get("entry", 0), passed.get("exit", 0), refused)


class Views:
    def __init__(self, db: Database, settings: Settings, replica: Database | None = None) -> None:
        self.db = db
        self.settings = settings
        self.replica = replica or db  # what tracing and statistics read

    def _online(self, k: Kiosk, now: int) -> bool:
        return bool(k.last_seen_ms and now - k.last_seen_ms < self.settings.online_window * 1000)

    def live(self, venue_id: str, limit: int = 50) -> dict[str, Any]:
        """Today's entries and exits at a venue, masked, for its controllers."""
        now = now_ms()
        with self.db.session() as s:
            venue = s.get(Venue, venue_id)
            if venue is None:
                raise RegistryError(f"no venue {venue_id}")
            counts = today_counts(s, venue, now)
            recent = latest_records(
                s,
                venue_id,
                limit,
                now,
                retention_days=self.settings.retention_days,
                max_future_ms=self.settings.max_future_ms,
            )
            kiosks = s.scalars(
                select(Kiosk).where(Kiosk.venue_id == venue_id).order_by(Kiosk.id)
            ).all()
        return {
            "venue": {"id": venue.id, "name": venue.name},
            "server_time": iso_ms(now),
            "today": {
                "entries": counts.entries,
                "exits": counts.exits,
                "occupancy": counts.inside,
                "fails": counts.refused,
            },
            "recent": [_recent(r) for r in recent],
            "kiosks": [
                {
                    "id": k.id,
                    "online": self._online(k, now),
                    "last_heartbeat": iso_ms(k.last_seen_ms) if k.last_seen_ms else None,
                    "queue_depth": k.queue_depth,
                    "version": k.version,
                }
                for k in kiosks
            ],
        }

    def trace(
        self,
        caller: Caller,
        subject: Subject,
        window_min: int,
        since_ms: int | None,
        reason: str | None = None,
        *,
        limit: int = 1000,
        offset: int = 0,
    ) -> dict[str, Any]:
        """Where a subject was recorded, and who else was recorded there within ±window
        minutes: one statement, read from the covering indexes. Contacts come a page at a
        time, ordered by (subject, venue); visits come whole on every page.

        Audited with the officer, the time and, where they gave one, their reason (evidence)."""
        since = (
            since_ms
            if since_ms is not None
            else now_ms() - self.settings.retention_days * DAY * 1000
        )
        who = str(subject)
        with self.replica.session() as replica:
            # One person is one subject: their card's `idh:` and the passes declared with it.
            same = same_person(replica, who)
            query = trace_statement(
                replica, same, since, window_min * 60_000, limit, offset, self.settings
            )
            if self.replica.is_postgresql:
                # The plan's cost grows with the visits (one pruned probe each), and past
                # jit_above_cost PostgreSQL compiles it first: 0.4-0.9 s for a query that
                # then runs in tens of milliseconds (measured by bench/scale.py).
                replica.execute(text("SET LOCAL jit = off"))
            rows = replica.execute(query).all()
        # The audit on the primary: no answer leaves without its entry.
        with self.db.session.begin() as s:
            visits = sorted((r for r in rows if r.kind == "visit"), key=lambda r: r.at_ms)
            contacts = sorted(
                (r for r in rows if r.kind != "visit"), key=lambda r: (r.who, r.venue_id)
            )
            more = len(contacts) > limit
            contacts = contacts[:limit]
            s.add(
                AuditEntry(
                    at_ms=now_ms(),
                    principal=caller.name,
                    action="trace",
                    params=json.dumps(
                        {
                            "subject": who,
                            "window_minutes": window_min,
                            "since_ms": since,
                            "reason": reason,
                            "offset": offset,
                            "same_person": len(same) - 1,
                        }
                    ),
                    results=len(visits) + len(contacts),
                )
            )
        return {
            "subject": who,
            "window_minutes": window_min,
            "visits": [
                {
                    "venue_id": v.venue_id,
                    "kiosk_id": v.who,
                    "direction": v.what,
                    "time": iso_ms(v.at_ms),
                }
                for v in visits
            ],
            "contacts": [
                {
                    "subject": c.who,
                    "masked_name": c.what,
                    "venue_id": c.venue_id,
                    "time": iso_ms(c.at_ms),
                    "minutes_apart": c.apart_ms // 60_000,
                }
                for c in contacts
            ],
            "next_offset": offset + limit if more else None,
        }

    def trace_id(
        self,
        caller: Caller,
        keys: RegistryKeys,
        id_number: str,
        window_min: int,
        since_ms: int | None,
        reason: str | None = None,
        *,
        limit: int = 1000,
        offset: int = 0,
    ) -> dict[str, Any]:
        """A trace by ID number: its `idh:` under the registry's secret is what both old
        kiosks (hashing) and new ones (sealing, opened at ingest) leave in the records."""
        number = normalize_id_number(id_number)
        problem = id_number_problem(number)
        if problem:
            raise RegistryError(problem)
        return self.trace(
            caller, keys.hasher()(number), window_min, since_ms, reason, limit=limit, offset=offset
        )

    def audit(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest entries of the audit log, newest first (not audited: see read_audit)."""
        with self.db.session() as s:
            rows = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)).all()
        return [
            {
                "time": iso_ms(a.at_ms),
                "principal": a.principal,
                "action": a.action,
                "params": json.loads(a.params),
                "results": a.results,
            }
            for a in rows
        ]

    def read_audit(self, reader: str, limit: int = 100) -> list[dict[str, Any]]:
        """The audit log as a person reads it: the read is itself an entry, written first,
        so that it is the first line they see."""
        with self.db.session.begin() as s:
            shown = s.scalar(select(func.count()).select_from(AuditEntry)) or 0
            audit_entry(s, reader, "audit_read", {"limit": limit}, min(limit, shown + 1))
        return self.audit(limit)

    def stats(
        self, days: int = 7, limit: int = 1000, after: tuple[str, str] | None = None
    ) -> dict[str, Any]:
        """Entries, exits and refusals per venue and per area over each venue's last `days`
        local days, from the day counts. Areas come whole; venues a page at a time, ordered by
        (venue, day): `after` is the last (venue, day) of the page before."""
        now = now_ms()
        with self.replica.session() as s:
            if self.replica.is_postgresql:
                # A page of venues is grouped from the window's day counts (a few hundred
                # thousand a week): with the default 4 MB the sort spills to disk.
                s.execute(text("SET LOCAL work_mem = '32MB'"))
            zones = s.scalars(select(Venue.timezone).distinct()).all()
            # Each venue's own last `days` days: one bound per time zone in use.
            firsts = {tz: _first_day(tz, now, days) for tz in zones}
            window = and_(
                # The earliest bound alone, for the index on the day; then each zone's own.
                RecordDay.day >= min(firsts.values(), default="9999-12-31"),
                or_(
                    false(),
                    *(and_(Venue.timezone == tz, RecordDay.day >= d) for tz, d in firsts.items()),
                ),
            )
            # From the districts' own counts, kept at ingest: a few thousand rows a week.
            area_rows = s.execute(
                select(AreaDay.province, AreaDay.district, AreaDay.day, *_AREA_SUMS)
                .where(
                    AreaDay.day >= min(firsts.values(), default="9999-12-31"),
                    or_(
                        false(),
                        *(
                            and_(AreaDay.timezone == tz, AreaDay.day >= d)
                            for tz, d in firsts.items()
                        ),
                    ),
                )
                .group_by(AreaDay.province, AreaDay.district, AreaDay.day)
                .order_by(AreaDay.province, AreaDay.district, AreaDay.day)
            ).all()
            page = (
                select(RecordDay.venue_id, RecordDay.day, *_SUMS)
                .join(Venue, Venue.id == RecordDay.venue_id)
                .where(window)
                .group_by(RecordDay.venue_id, RecordDay.day)
                .order_by(RecordDay.venue_id, RecordDay.day)
                .limit(limit + 1)
            )
            if after is not None:
                page = page.where(tuple_(RecordDay.venue_id, RecordDay.day) > tuple_(*after))
            venue_rows = s.execute(page).all()
            kiosks = s.execute(select(Kiosk.last_seen_ms)).scalars().all()
        more = len(venue_rows) > limit
        venue_rows = venue_rows[:limit]
        online = sum(
            bool(seen and now - seen < self.settings.online_window * 1000) for seen in kiosks
        )
        return {
            "per_venue_day": [
                {"venue_id": v, "day": d, **_counts(e, x, f)} for v, d, e, x, f in venue_rows
            ],
            "next_after": (
                {"venue_id": venue_rows[-1][0], "day": venue_rows[-1][1]} if more else None
            ),
            "per_area_day": [
                {"province": p, "district": di, "day": d, **_counts(e, x, f)}
                for p, di, d, e, x, f in area_rows
            ],
            "kiosks": {"total": len(kiosks), "online": online},
        }


def _first_day(tz: str, now: int, days: int) -> str:
    """The first of the last `days` calendar days at `tz`, today included."""
    today = datetime.fromtimestamp(now / 1000, ZoneInfo(tz)).date()
    return (today - timedelta(days=days - 1)).isoformat()


def _counts(entries: Any, exits: Any, refused: Any) -> dict[str, int]:
    # PostgreSQL sums BIGINTs as NUMERIC (a Decimal here): whole numbers all the same.
    return {"entries": int(entries), "exits": int(exits), "refused": int(refused)}


def _sum_of(direction: str | None, verdict: str, model: Any = RecordDay) -> Any:
    match = model.verdict == verdict
    if direction is not None:
        match = and_(match, model.direction == direction)
    return func.coalesce(func.sum(case((match, model.count), else_=0)), 0)


# Admitted entries, admitted exits, refusals: summed from the day counts in the database.
_SUMS = (_sum_of("entry", "PASS"), _sum_of("exit", "PASS"), _sum_of(None, "FAIL"))
_AREA_SUMS = (
    _sum_of("entry", "PASS", AreaDay),
    _sum_of("exit", "PASS", AreaDay),
    _sum_of(None, "FAIL", AreaDay),
)


def latest_records(
    s: Session, venue_id: str, limit: int, now: int, *, retention_days: int, max_future_ms: int
) -> list[Record]:
    """A venue's newest records, from the days still kept (and the day more PostgreSQL's
    partitions may keep): the DEFAULT partition and days ahead stay unread unless a far-off
    kiosk's records are there."""
    since = now - (retention_days + 1) * DAY * 1000
    ahead = now + max_future_ms
    bound = kiosk_bound(s, since, ahead)
    return list(
        s.scalars(
            select(Record)
            .where(
                Record.venue_id == venue_id,
                Record.created_ms >= since,
                bound.within(Record.kiosk_ms, since, ahead),
            )
            .order_by(Record.created_ms.desc())
            .limit(limit)
        ).all()
    )


def trace_statement(
    s: Session,
    who: list[str],
    since: int,
    window_ms: int,
    limit: int,
    offset: int,
    settings: Settings,
) -> Any:
    """The tracing statement, bounded to the partitions of the days it can find records on
    (read from `s`, where it will run)."""
    # No record is created later than this (ingest refuses those further ahead).
    until = now_ms() + settings.max_future_ms
    bound = kiosk_bound(s, since - window_ms, until + window_ms)
    return _trace_query(who, since, until, window_ms, limit, offset, bound)


def _trace_query(
    who: list[str],
    since: int,
    until: int,
    window_ms: int,
    limit: int,
    offset: int,
    bound: KioskBound,
) -> Any:
    """One statement: the person's visits (under any of their subjects `who`), and a page
    of the others recorded at a visited venue within ±window of a visit, one row per
    (subject, venue) with the first sighting and the nearest time apart. Rows: kind,
    venue_id, who, what, at_ms, apart_ms.

    Every read of `records` bounds kiosk_ms as well: the visits to the days from `since`, each
    visit's neighbours to its own ±window (PostgreSQL prunes as it joins); records from
    kiosks whose clocks were far off, on the skewed days, in a branch of their own."""
    visits = (
        select(Record.venue_id, Record.kiosk_id, Record.direction, Record.created_ms)
        .where(
            Record.subject.in_(who),
            Record.created_ms >= since,
            Record.verdict == "PASS",
            bound.within(Record.kiosk_ms, since, until),
        )
        .cte("visits")
    )

    # The skewed days paired with each visit's own ±window: the partitions where records
    # from far-off kiosks created around that visit can be, and only those.
    sd = aliased(SkewedDay, name="sd")
    paired = visits.join(
        sd,
        and_(
            sd.created_day >= (visits.c.created_ms - window_ms) // DAY_MS,
            sd.created_day <= (visits.c.created_ms + window_ms) // DAY_MS,
        ),
    )

    def around(kiosk_days: Callable[[Any], Any], source: Any = visits) -> Any:
        near = aliased(Record, name="near")
        columns = (
            near.subject,
            near.venue_id,
            near.created_ms,
            func.abs(near.created_ms - visits.c.created_ms).label("apart_ms"),
            near.masked_name,
        )
        when = (
            near.venue_id == visits.c.venue_id,
            near.created_ms >= visits.c.created_ms - window_ms,
            near.created_ms <= visits.c.created_ms + window_ms,
            kiosk_days(near.kiosk_ms),
            near.verdict == "PASS",
            near.subject.is_not(None),
            near.subject.not_in(who),
        )
        if not bound.active:  # SQLite: no LATERAL, and no partitions to prune
            return select(*columns).join_from(visits, near, and_(*when[:4])).where(*when[4:])
        # PostgreSQL: a LATERAL join, so each visit's neighbours are read visit by visit and
        # the partitions outside its own ±window pruned at each one; a hash join (which the
        # planner may choose) would read every partition whole. OFFSET 0 keeps the planner
        # from folding the subquery back into a plain join.
        each = select(*columns).where(*when).offset(0).lateral("around")
        return select(*each.c).select_from(source).join(each, true())

    def routed(column: Any) -> Any:
        return bound.near(column, visits.c.created_ms, window_ms)

    def skewed(column: Any) -> Any:
        first = cast(sd.kiosk_day, BigInteger) * DAY_MS
        return and_(column >= first, column < first + DAY_MS)

    nearby = around(routed)
    if bound.skewed:
        # A neighbour found twice (in both branches) changes neither its first sighting nor
        # the nearest minutes apart.
        nearby = nearby.union_all(around(skewed, paired))
    rows = nearby.subquery("nearby")
    page = (
        select(
            rows.c.subject,
            rows.c.venue_id,
            func.min(rows.c.created_ms).label("first_ms"),
            func.min(rows.c.apart_ms).label("apart_ms"),
            func.max(rows.c.masked_name).label("masked_name"),
        )
        .group_by(rows.c.subject, rows.c.venue_id)
        .order_by(rows.c.subject, rows.c.venue_id)
        .limit(limit + 1)
        .offset(offset)
        .subquery("page")
    )
    # Literal columns, not parameters: PostgreSQL must know a UNION's column types.
    return union_all(
        select(
            literal_column("'visit'").label("kind"),
            visits.c.venue_id,
            visits.c.kiosk_id.label("who"),
            visits.c.direction.label("what"),
            visits.c.created_ms.label("at_ms"),
            literal_column("0").label("apart_ms"),
        ),
        select(
            literal_column("'contact'"),
            page.c.venue_id,
            page.c.subject,
            page.c.masked_name,
            page.c.first_ms,
            page.c.apart_ms,
        ),
    )
