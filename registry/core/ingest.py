"""What kiosks send: record batches (validated one record at a time) and heartbeats."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import Connection, Table, case, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from checkin_protocol.documents import DENY_LIST
from checkin_protocol.erasure import erasure_digest, record_key
from checkin_protocol.messages import HeartbeatRequest, RecordStatus
from checkin_protocol.records import CheckinRecord, Subject
from registry.auth import Caller
from registry.core.common import (
    Database,
    RegistryError,
    bump_list,
    now_ms,
    parse_iso_ms,
    printable,
    text_problem,
)
from registry.core.selfcheckin import phones_inside
from registry.db.models import AreaDay, Erasure, Kiosk, Record, RecordDay, SkewedDay, Venue
from registry.db.partitions import DAY_MS, ensure_partitions, wanted_days
from registry.db.pruning import raise_routed_offset, skewed_pairs

# The columns the registry adds to a record: its kiosk time as a number, and the two clocks.
REGISTRY_COLUMNS = ("created_ms", "clock_offset_ms", "received_ms", "kiosk_ms")
# Fields stored as sent; created_utc is stored as created_ms, a number to range-scan.
STORED_FIELDS = tuple(f for f in CheckinRecord.model_fields if f != "created_utc")

_RECORDS = Record.__table__
assert isinstance(_RECORDS, Table)  # a mapped class's table, for the type checker
# PostgreSQL: one array per column, typed as the column is (VARCHAR(36)[], BIGINT[]...).
_PG_ARRAYS = {
    c.name: c.type.compile(dialect=postgresql.dialect())  # type: ignore[no-untyped-call]
    for c in _RECORDS.columns
}
_PG_INSERT = text(
    f"INSERT INTO {_RECORDS.name} ({', '.join(_PG_ARRAYS)}) SELECT * FROM unnest("  # noqa: S608 (from the ORM table)
    + ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in _PG_ARRAYS.items())
    + f") AS n({', '.join(_PG_ARRAYS)})"
    # A partitioned table's unique key must hold the partition key (kiosk_ms): the conflict
    # target alone would take a reused id with another time as new. A record is one per
    # (id, venue, kiosk), whatever its time, as on SQLite.
    + " WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.id = n.id"
    " AND r.venue_id = n.venue_id AND r.kiosk_id = n.kiosk_id)"
    " ON CONFLICT (id, venue_id, kiosk_id, kiosk_ms) DO NOTHING RETURNING id"
)
_SQLITE_INSERT = (
    sqlite.insert(Record)
    .on_conflict_do_nothing(index_elements=["id", "venue_id", "kiosk_id"])
    .returning(Record.id)
)
# Free text in a record: checked for what no database (or screen) should take.
TEXT_FIELDS = ("masked_name", "boot_id")


@dataclass(frozen=True)
class Result:
    id: str | None
    status: RecordStatus
    reason: str | None = None


@dataclass(frozen=True)
class Occupancy:
    inside: int
    as_of_ms: int


def local_midnight_ms(ms: int, zone: ZoneInfo) -> int:
    """The epoch-ms start of the local day (at `zone`) that holds `ms`."""
    day = datetime.fromisoformat(local_day(ms, zone)).replace(tzinfo=zone)
    return int(day.timestamp() * 1000)


def venue_occupancy(db: Database, venue_id: str) -> Occupancy | None:
    """PASS entries minus PASS exits since the venue's local midnight, by every kiosk of it:
    what each sync answer tells a kiosk, so an entry kiosk learns of the exits at other doors.
    Doors only: the phones' self check-ins (which anyone holding a pass may make) are added
    only where the venue opted in, one per pass at most. None for a venue the registry does
    not know."""
    now = now_ms()
    with db.session() as s:
        found = s.execute(
            select(Venue.timezone, Venue.phone_occupancy).where(Venue.id == venue_id)
        ).first()
        if found is None:
            return None
        zone, phones = found
        # From the day counts ingest keeps current: a few rows, however busy the venue (it
        # runs on every upload and heartbeat answer).
        step = case((RecordDay.direction == "entry", RecordDay.count), else_=-RecordDay.count)
        total = s.scalar(
            select(func.coalesce(func.sum(step), 0)).where(
                RecordDay.venue_id == venue_id,
                RecordDay.day == local_day(now, ZoneInfo(zone)),
                RecordDay.verdict == "PASS",
            )
        )
    inside = max(0, int(total or 0))
    if phones:
        inside += phones_inside(db, venue_id, local_midnight_ms(now, ZoneInfo(zone)))
    return Occupancy(inside, now)


def record_row(record: CheckinRecord, clock_offset_ms: int | None, received: int) -> dict[str, Any]:
    """The `records` row for a record: its fields as JSON values, plus the registry's columns.

    `created_ms` is the kiosk's time corrected by the batch's measured offset (registry time
    minus kiosk time); the kiosk's own time is `created_ms - clock_offset_ms`.
    """
    row = record.model_dump(mode="json", include=set(STORED_FIELDS))
    kiosk_ms = parse_iso_ms(record.created_utc)
    row.update(
        kiosk_ms=kiosk_ms,
        created_ms=kiosk_ms + (clock_offset_ms or 0),
        clock_offset_ms=clock_offset_ms,
        received_ms=received,
    )
    return row


def _rejected(raw: object, exc: ValidationError) -> Result:
    rid = raw.get("id") if isinstance(raw, dict) else None
    # The id is echoed only if it could be one: the answer must not carry a megabyte or a
    # lone surrogate (which would fail to encode) back.
    if not (isinstance(rid, str) and len(rid) <= 36 and text_problem(rid) is None):
        rid = None
    err = exc.errors(include_url=False)[0]
    where = printable(".".join(str(p) for p in err["loc"]))
    return Result(rid, RecordStatus.REJECTED, f"{where}: {err['msg']}"[:300])


def _refusal(record: CheckinRecord, row: dict[str, Any], max_future_ms: int) -> str | None:
    """Why a valid record is refused all the same, or None."""
    for name in TEXT_FIELDS:
        value = getattr(record, name)
        problem = text_problem(value) if isinstance(value, str) else None
        if problem:
            return f"{name}: {problem}"
    ahead = row["created_ms"] - row["received_ms"]
    if ahead > max_future_ms:
        # A record from the future would count as "today" every day and never be purged.
        return f"created_utc: {ahead // 1000} s in the future after clock correction"
    return None


def local_day(ms: int, zone: ZoneInfo) -> str:
    """The calendar day (YYYY-MM-DD) at `zone` of an epoch-ms time."""
    try:
        return datetime.fromtimestamp(ms / 1000, zone).date().isoformat()
    except (ValueError, OverflowError, OSError):
        # A kiosk clock (corrected) outside the calendar: counted on its first or last day.
        return "0001-01-01" if ms < 0 else "9999-12-31"


class Ingest:
    def __init__(
        self,
        db: Database,
        max_future_ms: int,
        subjects: Callable[[Subject], Subject] | None = None,
        routed_offset_ms: int = 15 * 60 * 1000,
    ) -> None:
        self.db = db
        self.max_future_ms = max_future_ms
        # Records from kiosks off by more than this are listed in skewed_days (db.pruning).
        self.routed_offset_ms = routed_offset_ms
        self._offset_stored = False
        # How a subject is stored: a sealed ID number becomes the registry's own `idh:`.
        self.subjects = subjects
        # PostgreSQL: the days known to have a partition, or to be left to the DEFAULT one.
        self._partitioned: set[int] = set()

    def _ensure_partitions(self, days: set[int]) -> None:
        """Make the missing daily partitions of a batch's days, in a short transaction of its
        own before the insert: creating one locks the table, only until that commits."""
        if days <= self._partitioned:
            return
        with self.db.engine.begin() as conn:
            wanted = wanted_days(now_ms(), days)
            have = ensure_partitions(conn, wanted)
        # Days outside the window, or held by the DEFAULT partition, are asked about no more.
        self._partitioned |= have | (days - wanted) | (wanted - have)

    def _store_offset(self) -> None:
        """Once a process: the stored routed offset raised to ours before we route by it."""
        if not self._offset_stored:
            with self.db.engine.begin() as conn:
                raise_routed_offset(conn, self.routed_offset_ms)
            self._offset_stored = True

    def ingest(
        self,
        caller: Caller,
        records: Sequence[object],
        clock_offset_ms: int | None,
        *,
        counted: bool = True,
    ) -> list[Result]:
        """Store a batch; idempotent by record id. Returns one result per record, in order.

        `counted`: added to the day counts (the doors' figures, and the occupancy kiosks
        enforce); the phones' self check-ins are not, they have a count of their own.
        """
        results: list[Result | None] = []
        rows: list[dict[str, Any]] = []
        positions: dict[str, int] = {}
        received = now_ms()
        for raw in records:
            try:
                r = CheckinRecord.model_validate(raw)
            except ValidationError as exc:
                results.append(_rejected(raw, exc))
                continue
            if (r.venue_id, r.kiosk_id) != (caller.kiosk_venue, caller.kiosk_id):
                results.append(Result(r.id, RecordStatus.REJECTED, "record is not from this kiosk"))
                continue
            if r.id in positions:
                results.append(Result(r.id, RecordStatus.DUPLICATE))
                continue
            if r.subject is not None and self.subjects is not None:
                r = r.model_copy(update={"subject": self.subjects(r.subject)})
            row = record_row(r, clock_offset_ms, received)
            why = _refusal(r, row, self.max_future_ms)
            if why:
                results.append(Result(r.id, RecordStatus.REJECTED, why))
                continue
            positions[r.id] = len(results)
            results.append(None)
            rows.append(row)
        rows = self._not_erased(rows, results, positions)
        inserted: set[str] = set()
        if rows:
            skewed: list[dict[str, int]] = []
            if self.db.is_postgresql:
                self._ensure_partitions({row["kiosk_ms"] // DAY_MS for row in rows})
                self._store_offset()
                skewed = skewed_pairs(rows, self.routed_offset_ms)
            with self.db.engine.begin() as conn:
                if skewed:
                    # With the records: none is committed that tracing could not find.
                    conn.execute(self.db.insert()(SkewedDay).on_conflict_do_nothing(), skewed)
                inserted = set(self._insert(conn, rows))
                # In the same transaction: the day counts never disagree with the records.
                if counted:
                    self._count_days(conn, [r for r in rows if r["id"] in inserted])
        for rid, pos in positions.items():
            status = RecordStatus.ACCEPTED if rid in inserted else RecordStatus.DUPLICATE
            results[pos] = Result(rid, status)
        return [r for r in results if r is not None]

    def _not_erased(
        self,
        rows: list[dict[str, Any]],
        results: list[Result | None],
        positions: dict[str, int],
    ) -> list[dict[str, Any]]:
        """The rows whose person has not been erased since they were recorded. A kiosk that
        was offline during an erasure uploads them later: they are answered as received and
        never stored, and their ids join the erasure, so the next deny list deletes them at
        that kiosk (an ID card's record is sealed there: only its id can name it)."""
        wanted = {erasure_digest(r["subject"]) for r in rows if r["subject"]}
        if not wanted:
            return rows
        with self.db.session() as s:
            erased = {
                e.digest: e for e in s.scalars(select(Erasure).where(Erasure.digest.in_(wanted)))
            }
        if not erased:
            return rows
        kept, late = [], []
        for row in rows:
            found = erased.get(erasure_digest(row["subject"])) if row["subject"] else None
            if found is not None and row["created_ms"] <= found.created_ms:
                results[positions.pop(row["id"])] = Result(row["id"], RecordStatus.DUPLICATE)
                late.append({"digest": erasure_digest(record_key(row["id"])),
                             "request_id": found.request_id, "created_ms": found.created_ms,
                             "expires_ms": found.expires_ms})  # fmt: skip
            else:
                kept.append(row)
        if late:
            with self.db.session.begin() as s:
                s.execute(self.db.insert()(Erasure).values(late).on_conflict_do_nothing())
                bump_list(s, DENY_LIST)
        return kept

    def _insert(self, conn: Connection, rows: list[dict[str, Any]]) -> list[str]:
        """Insert what is new, skip ids already there; returns the ids inserted."""
        if self.db.is_postgresql:
            # One statement with one array per column: a multi-row VALUES list of 1000 rows
            # has 17,000 placeholders, and parsing those costs psycopg more than the insert.
            params = {name: [row[name] for row in rows] for name in _PG_ARRAYS}
            return list(conn.execute(_PG_INSERT, params).scalars())
        return list(conn.execute(_SQLITE_INSERT, rows).scalars())

    def _count_days(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        """Add the new records to their venue's local-day counts (record_days), and to their
        district's (area_days)."""
        if not rows:
            return
        places: dict[str, tuple[ZoneInfo, str, str, str]] = {}
        counts: Counter[tuple[str, str, str, str]] = Counter()
        areas: Counter[tuple[str, str, str, str, str, str]] = Counter()
        for row in rows:
            venue = row["venue_id"]
            if venue not in places:
                found = conn.execute(
                    select(Venue.timezone, Venue.province, Venue.district).where(Venue.id == venue)
                ).first()
                tz, province, district = found or ("Asia/Ho_Chi_Minh", "", "")
                places[venue] = (ZoneInfo(tz), tz, province, district)
            zone, tz, province, district = places[venue]
            day = local_day(row["created_ms"], zone)
            counts[(day, venue, row["direction"], row["verdict"])] += 1
            areas[(day, tz, province, district, row["direction"], row["verdict"])] += 1
        self._add(conn, RecordDay, ["day", "venue_id", "direction", "verdict"], counts)
        self._add(
            conn,
            AreaDay,
            ["day", "timezone", "province", "district", "direction", "verdict"],
            areas,
        )

    def _add(self, conn: Connection, model: Any, key: list[str], counts: Counter[Any]) -> None:
        # Sorted: two batches updating the same counts take their row locks in one order.
        values = [{**dict(zip(key, k, strict=True)), "count": n} for k, n in sorted(counts.items())]
        insert = self.db.insert()(model).values(values)
        conn.execute(
            insert.on_conflict_do_update(
                index_elements=key, set_={"count": model.count + insert.excluded.count}
            )
        )

    def heartbeat(self, caller: Caller, beat: HeartbeatRequest) -> None:
        for name in ("version", "last_decision"):
            value = getattr(beat, name)
            problem = text_problem(value) if isinstance(value, str) else None
            if problem:
                raise RegistryError(f"{name}: {problem}")
        with self.db.session.begin() as s:
            k = s.get(Kiosk, (caller.kiosk_venue, caller.kiosk_id))
            if k is None:
                raise RegistryError("kiosk not registered")
            k.last_seen_ms = now_ms()
            k.version = beat.version or None
            k.queue_depth = beat.queue_depth
            k.last_decision = beat.last_decision
            k.clock_offset_ms = beat.clock_offset_ms
            k.trust_version = beat.trust_version
            k.deny_version = beat.deny_version
