"""What people look at: live view, contact tracing (audited), the audit log, statistics."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from checkin_protocol.privacy import normalize_id_number
from checkin_protocol.records import Subject, mask_subject
from registry.auth import Caller
from registry.core.common import Database, RegistryError, iso_ms, now_ms
from registry.db.models import AuditEntry, Kiosk, Record, Venue
from registry.keys import RegistryKeys
from registry.settings import DAY, Settings


def _venue_midnight_ms(venue: Venue, now: int) -> int:
    # "Today" starts at the venue's own midnight, as on its kiosks' occupancy count.
    local = datetime.fromtimestamp(now / 1000, ZoneInfo(venue.timezone))
    return int(local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp() * 1000)


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


def day_counts(s: Session, venue_id: str, start_ms: int, end_ms: int | None = None) -> DayCounts:
    """Counted by the database, for the API's live view and the controller's page alike."""
    when = [Record.venue_id == venue_id, Record.created_ms >= start_ms]
    if end_ms is not None:
        when.append(Record.created_ms < end_ms)
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


class Views:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    def _online(self, k: Kiosk, now: int) -> bool:
        return bool(k.last_seen_ms and now - k.last_seen_ms < self.settings.online_window * 1000)

    def live(self, venue_id: str, limit: int = 50) -> dict[str, Any]:
        """Today's entries and exits at a venue, masked, for its controllers."""
        now = now_ms()
        with self.db.session() as s:
            venue = s.get(Venue, venue_id)
            if venue is None:
                raise RegistryError(f"no venue {venue_id}")
            counts = day_counts(s, venue_id, _venue_midnight_ms(venue, now))
            recent = s.scalars(
                select(Record)
                .where(Record.venue_id == venue_id)
                .order_by(Record.created_ms.desc())
                .limit(limit)
            ).all()
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
    ) -> dict[str, Any]:
        """Where a subject was recorded, and who else was recorded there within ±window minutes.

        Audited with the officer, the time and, where they gave one, their reason (evidence)."""
        since = (
            since_ms
            if since_ms is not None
            else now_ms() - self.settings.retention_days * DAY * 1000
        )
        who = str(subject)
        with self.db.session.begin() as s:
            visits = s.scalars(
                select(Record)
                .where(Record.subject == who, Record.created_ms >= since, Record.verdict == "PASS")
                .order_by(Record.created_ms)
            ).all()
            contacts = _contacts(s, who, visits, window_min * 60_000)
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
                    "kiosk_id": v.kiosk_id,
                    "direction": v.direction,
                    "time": iso_ms(v.created_ms),
                }
                for v in visits
            ],
            "contacts": contacts,
        }

    def trace_id(
        self,
        caller: Caller,
        keys: RegistryKeys,
        id_number: str,
        window_min: int,
        since_ms: int | None,
    ) -> dict[str, Any]:
        """A trace by ID number: its `idh:` under the registry's secret is what both old
        kiosks (hashing) and new ones (sealing, opened at ingest) leave in the records."""
        number = normalize_id_number(id_number)
        if not re.fullmatch(r"[0-9]{9,12}", number):
            raise RegistryError("an ID number is 9 to 12 digits")
        return self.trace(caller, keys.hasher()(number), window_min, since_ms)

    def audit(self, limit: int = 100) -> list[dict[str, Any]]:
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

    def stats(self, days: int = 7) -> dict[str, Any]:
        now = now_ms()
        start = now - now % (DAY * 1000) - (days - 1) * DAY * 1000
        # Counted by the database (UTC days): a national registry holds millions of records.
        day = (Record.created_ms // (DAY * 1000)).label("day")  # floor division on both DBs
        with self.db.session() as s:
            rows = s.execute(
                select(Record.venue_id, day, Record.direction, func.count())
                .where(Record.created_ms >= start, Record.verdict == "PASS")
                .group_by(Record.venue_id, day, Record.direction)
            ).all()
            venues = {v.id: v for v in s.scalars(select(Venue))}
            kiosks = s.scalars(select(Kiosk)).all()
        per_day: dict[tuple[str, str], dict[str, int]] = {}
        per_area: dict[tuple[str, str, str], dict[str, int]] = {}
        for venue_id, day_number, direction, count in rows:
            d = iso_ms(int(day_number) * DAY * 1000)[:10]
            key = "entries" if direction == "entry" else "exits"
            per_day.setdefault((venue_id, d), {"entries": 0, "exits": 0})[key] += count
            v = venues.get(venue_id)
            area = (v.province if v else "", v.district if v else "", d)
            per_area.setdefault(area, {"entries": 0, "exits": 0})[key] += count
        return {
            "per_venue_day": [
                {"venue_id": v, "day": d, **c} for (v, d), c in sorted(per_day.items())
            ],
            "per_area_day": [
                {"province": p, "district": di, "day": d, **c}
                for (p, di, d), c in sorted(per_area.items())
            ],
            "kiosks": {"total": len(kiosks), "online": sum(self._online(k, now) for k in kiosks)},
        }


def _contacts(
    s: Session, who: str, visits: Sequence[Record], window_ms: int
) -> list[dict[str, Any]]:
    """Other subjects recorded at a visit's venue within ±window, first sighting per venue."""
    contacts: dict[tuple[str, str], dict[str, Any]] = {}
    for v in visits:
        near = s.scalars(
            select(Record).where(
                Record.venue_id == v.venue_id,
                Record.verdict == "PASS",
                and_(
                    Record.created_ms >= v.created_ms - window_ms,
                    Record.created_ms <= v.created_ms + window_ms,
                ),
                Record.subject.is_not(None),
                Record.subject != who,
            )
        ).all()
        for n in near:
            contacts.setdefault(
                (n.subject or "", n.venue_id),
                {
                    "subject": n.subject,
                    "masked_name": n.masked_name,
                    "venue_id": n.venue_id,
                    "time": iso_ms(n.created_ms),
                    "minutes_apart": abs(n.created_ms - v.created_ms) // 60_000,
                },
            )
    return list(contacts.values())
