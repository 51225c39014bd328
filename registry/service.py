"""What the registry does, for the HTTP API and the CLI alike."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, Engine, and_, delete, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kiosk.passes.keys import algorithm_of
from kiosk.passes.privacy import mask_name, mask_subject
from kiosk.passes.signed import issue_pass
from kiosk.sync.documents import DENY_LIST, TRUST_LIST, sign_document
from registry.auth import Caller, Role, hash_token, new_token
from registry.db import make_engine, sessions, upgrade
from registry.db.models import (
    AuditEntry,
    Declaration,
    DenyEntry,
    IssuedPass,
    IssuerKey,
    Kiosk,
    ListVersion,
    Principal,
    Record,
    Venue,
)
from registry.keys import RegistryKeys
from registry.settings import DAY, Settings

Status = Literal["accepted", "duplicate", "rejected"]


def now_ms() -> int:
    return int(time.time() * 1000)


def iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso_ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


class RegistryError(Exception):
    """A request the registry refuses (unknown venue, duplicate name...)."""


class RecordIn(BaseModel):
    """One record as a kiosk sends it (kiosk/store Record, plus nothing else)."""

    model_config = ConfigDict(extra="ignore", strict=False)
    id: str = Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    seq: int = Field(ge=1)
    venue_id: str = Field(max_length=64)
    kiosk_id: str = Field(max_length=64)
    direction: Literal["entry", "exit"]
    code_kind: str = Field(max_length=16)
    subject: str | None = Field(None, max_length=80)
    masked_name: str | None = Field(None, max_length=100)
    verified: bool
    verdict: Literal["PASS", "FAIL"]
    reason: str | None = Field(None, max_length=32)
    manual: bool = False
    created_utc: str = Field(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
    created_mono_ns: int
    boot_id: str = Field(max_length=64)


@dataclass(frozen=True)
class Result:
    id: str | None
    status: Status
    reason: str | None = None


_PG_ARRAYS = {
    "id": "text", "venue_id": "text", "kiosk_id": "text", "seq": "bigint", "direction": "text",
    "code_kind": "text", "subject": "text", "masked_name": "text", "verified": "boolean",
    "verdict": "text", "reason": "text", "manual": "boolean", "created_ms": "bigint",
    "created_mono_ns": "bigint", "boot_id": "text", "clock_offset_ms": "bigint",
    "received_ms": "bigint",
}  # fmt: skip
_PG_INSERT = text(
    f"INSERT INTO records ({', '.join(_PG_ARRAYS)}) SELECT * FROM unnest("  # noqa: S608 (constants)
    + ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in _PG_ARRAYS.items())
    + ") ON CONFLICT (id) DO NOTHING RETURNING id"
)


class Registry:
    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings.database_url)
        self.session = sessions(self.engine)
        self.keys = RegistryKeys(settings.keys_dir)
        self._doc_cache: dict[str, tuple[int, int, str]] = {}  # name → (version, issued, doc)
        self._doc_lock = threading.Lock()

    # ------------------------------------------------------------ set-up

    def init(self) -> None:
        """Create the schema and keys (idempotent)."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade(self.engine)
        self.keys.create()
        with self.session.begin() as s:
            if s.scalar(select(func.count()).select_from(IssuerKey)) == 0:
                self._add_issuer_key(s)

    def _add_issuer_key(self, s: Session) -> str:
        kid, key = self.keys.new_issuer_key()
        pem = (
            key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
        )
        s.add(
            IssuerKey(
                kid=kid, alg=algorithm_of(key.public_key()), public_pem=pem, created_ms=now_ms()
            )
        )
        self._bump(s, TRUST_LIST)
        return kid

    def _bump(self, s: Session, name: str) -> None:
        s.execute(
            update(ListVersion)
            .where(ListVersion.name == name)
            .values(version=ListVersion.version + 1)
        )

    def _insert(self) -> Any:
        return postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert

    # ------------------------------------------------------------ venues, kiosks, people

    def add_venue(
        self,
        venue_id: str,
        name: str,
        district: str = "",
        province: str = "",
        timezone: str = "Asia/Ho_Chi_Minh",
    ) -> None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise RegistryError(f"unknown time zone {timezone!r}") from None
        with self.session.begin() as s:
            if s.get(Venue, venue_id) is not None:
                raise RegistryError(f"venue {venue_id} exists")
            s.add(
                Venue(
                    id=venue_id,
                    name=name,
                    district=district,
                    province=province,
                    timezone=timezone,
                    created_ms=now_ms(),
                )
            )

    def add_kiosk(self, venue_id: str, kiosk_id: str) -> str:
        """Register a kiosk; returns its token (shown once, stored hashed)."""
        token = new_token()
        with self.session.begin() as s:
            if s.get(Venue, venue_id) is None:
                raise RegistryError(f"no venue {venue_id}")
            if s.get(Kiosk, (venue_id, kiosk_id)) is not None:
                raise RegistryError(f"kiosk {venue_id}/{kiosk_id} exists")
            s.add(Kiosk(venue_id=venue_id, id=kiosk_id, created_ms=now_ms()))
            s.add(
                Principal(
                    role=Role.KIOSK.value,
                    name=f"kiosk:{venue_id}/{kiosk_id}",
                    token_hash=hash_token(token),
                    venues="",
                    kiosk_venue=venue_id,
                    kiosk_id=kiosk_id,
                    created_ms=now_ms(),
                )
            )
        return token

    def revoke_kiosk(self, venue_id: str, kiosk_id: str) -> None:
        with self.session.begin() as s:
            done = s.execute(
                update(Principal)
                .where(
                    Principal.name == f"kiosk:{venue_id}/{kiosk_id}", Principal.revoked_ms.is_(None)
                )
                .values(revoked_ms=now_ms())
            )
            if done.rowcount == 0:  # type: ignore[attr-defined]
                raise RegistryError(f"no active kiosk {venue_id}/{kiosk_id}")

    def add_user(self, name: str, role: Role, venues: Iterable[str] = ()) -> str:
        if role is Role.KIOSK:
            raise RegistryError("kiosks are added with 'kiosk add'")
        token = new_token()
        venue_list = sorted(set(venues))
        with self.session.begin() as s:
            for v in venue_list:
                if s.get(Venue, v) is None:
                    raise RegistryError(f"no venue {v}")
            if role is Role.CONTROLLER and not venue_list:
                raise RegistryError("a controller needs at least one venue")
            if s.scalar(select(Principal).where(Principal.name == name)) is not None:
                raise RegistryError(f"{name} exists")
            s.add(
                Principal(
                    role=role.value,
                    name=name,
                    token_hash=hash_token(token),
                    venues=",".join(venue_list),
                    created_ms=now_ms(),
                )
            )
        return token

    def caller(self, token: str) -> Caller | None:
        with self.session() as s:
            p = s.scalar(
                select(Principal).where(
                    Principal.token_hash == hash_token(token), Principal.revoked_ms.is_(None)
                )
            )
            if p is None:
                return None
            return Caller(
                id=p.id,
                role=Role(p.role),
                name=p.name,
                venues=frozenset(v for v in p.venues.split(",") if v),
                kiosk_venue=p.kiosk_venue,
                kiosk_id=p.kiosk_id,
            )

    # ------------------------------------------------------------ passes and keys

    def active_kid(self, s: Session) -> str:
        kid = s.scalar(select(IssuerKey.kid).where(IssuerKey.retired_ms.is_(None)))
        if kid is None:
            raise RegistryError("no active issuer key (run 'init')")
        return kid

    def issue_pass(
        self,
        name: str,
        *,
        valid_for: int,
        birth_year: int | None = None,
        category: str | None = None,
        declared_at: int | None = None,
    ) -> tuple[str, str]:
        """Sign a pass with the active issuer key; returns (QR text, pass id hex)."""
        pass_id = os.urandom(16)
        issued = int(time.time())
        with self.session.begin() as s:
            kid = self.active_kid(s)
            text = issue_pass(
                self.keys.issuer_key(kid),
                issuer="registry",
                masked_name=mask_name(name),
                valid_until=issued + valid_for,
                issued_at=issued,
                birth_year=birth_year,
                category=category,
                declared_at=declared_at,
                pass_id=pass_id,
            )
            s.add(
                IssuedPass(
                    pass_id=pass_id.hex(),
                    kid=kid,
                    issued_ms=issued * 1000,
                    valid_until_ms=(issued + valid_for) * 1000,
                )
            )
        return text, pass_id.hex()

    def deny(self, s: Session, subject: str, reason_code: str, public: bool = False) -> None:
        stmt = self._insert()(DenyEntry).values(
            subject=subject, reason_code=reason_code, public=public, created_ms=now_ms()
        )
        s.execute(
            stmt.on_conflict_do_update(
                index_elements=["subject"], set_={"reason_code": reason_code}
            )
        )
        self._bump(s, DENY_LIST)

    def revoke_pass(self, pass_id: str, reason_code: str = "revoked") -> None:
        with self.session.begin() as s:
            p = s.get(IssuedPass, pass_id.lower())
            if p is None:
                raise RegistryError(f"no pass {pass_id} issued here")
            p.revoked_ms = now_ms()
            self.deny(s, f"pass:{pass_id.lower()}", reason_code, public=False)

    def rotate_keys(self) -> str:
        """New signing key; the old one stays trusted until the last pass it signed expires."""
        with self.session.begin() as s:
            old = self.active_kid(s)
            last = s.scalar(
                select(func.max(IssuedPass.valid_until_ms)).where(IssuedPass.kid == old)
            )
            s.execute(
                update(IssuerKey)
                .where(IssuerKey.kid == old)
                .values(retired_ms=now_ms(), trusted_until_ms=max(last or 0, now_ms()))
            )
            return self._add_issuer_key(s)

    # ------------------------------------------------------------ signed lists

    def document(self, name: str) -> tuple[int, str]:
        """(version, envelope), re-signed on a new version or when half its validity is gone."""
        now = int(time.time())
        with self.session() as s:
            version = s.scalar(select(ListVersion.version).where(ListVersion.name == name))
            assert version is not None
            with self._doc_lock:
                cached = self._doc_cache.get(name)
                if (
                    cached
                    and cached[0] == version
                    and now - cached[1] < self.settings.list_validity // 2
                ):
                    return version, cached[2]
            entries = (
                self._trust_entries(s, now) if name == TRUST_LIST else self._deny_entries(s, now)
            )
        doc = sign_document(
            self.keys.list_key(),
            type_=name,
            version=version,
            issued_at=now,
            valid_until=now + self.settings.list_validity,
            entries=entries,
        )
        with self._doc_lock:
            self._doc_cache[name] = (version, now, doc)
        return version, doc

    def _trust_entries(self, s: Session, now: int) -> list[dict[str, Any]]:
        rows = s.scalars(
            select(IssuerKey)
            .where(
                (IssuerKey.trusted_until_ms.is_(None)) | (IssuerKey.trusted_until_ms > now * 1000)
            )
            .order_by(IssuerKey.created_ms)
        )
        return [
            {
                "kid": k.kid,
                "alg": k.alg,
                "public_key": k.public_pem,
                "valid_until": k.trusted_until_ms // 1000 if k.trusted_until_ms else None,
            }
            for k in rows
        ]

    def _deny_entries(self, s: Session, now: int) -> list[dict[str, Any]]:
        rows = s.scalars(
            select(DenyEntry)
            .where((DenyEntry.expires_ms.is_(None)) | (DenyEntry.expires_ms > now * 1000))
            .order_by(DenyEntry.subject)
        )
        return [
            {"subject": d.subject, "reason_code": d.reason_code, "public": d.public} for d in rows
        ]

    # ------------------------------------------------------------ kiosks talking

    def ingest(
        self, caller: Caller, records: list[Any], clock_offset_ms: int | None
    ) -> list[Result]:
        """Store a batch; idempotent by record id. Returns one result per record, in order."""
        results: list[Result | None] = []
        rows: list[dict[str, Any]] = []
        positions: dict[str, int] = {}
        received = now_ms()
        for raw in records:
            rid = raw.get("id") if isinstance(raw, dict) else None
            try:
                r = RecordIn.model_validate(raw)
            except ValidationError as exc:
                err = exc.errors(include_url=False)[0]
                where = ".".join(str(p) for p in err["loc"])
                results.append(
                    Result(
                        rid if isinstance(rid, str) else None, "rejected", f"{where}: {err['msg']}"
                    )
                )
                continue
            if (r.venue_id, r.kiosk_id) != (caller.kiosk_venue, caller.kiosk_id):
                results.append(Result(r.id, "rejected", "record is not from this kiosk"))
                continue
            if r.id in positions:
                results.append(Result(r.id, "duplicate"))
                continue
            positions[r.id] = len(results)
            results.append(None)
            rows.append(
                {
                    "id": r.id,
                    "venue_id": r.venue_id,
                    "kiosk_id": r.kiosk_id,
                    "seq": r.seq,
                    "direction": r.direction,
                    "code_kind": r.code_kind,
                    "subject": r.subject,
                    "masked_name": r.masked_name,
                    "verified": r.verified,
                    "verdict": r.verdict,
                    "reason": r.reason,
                    "manual": r.manual,
                    "created_ms": parse_iso_ms(r.created_utc),
                    "created_mono_ns": r.created_mono_ns,
                    "boot_id": r.boot_id,
                    "clock_offset_ms": clock_offset_ms,
                    "received_ms": received,
                }
            )
        inserted: set[str] = set()
        if rows:
            with self.engine.begin() as conn:
                inserted = set(self._insert_records(conn, rows))
        for rid, pos in positions.items():
            results[pos] = Result(rid, "accepted" if rid in inserted else "duplicate")
        return [r for r in results if r is not None]

    def _insert_records(self, conn: Connection, rows: list[dict[str, Any]]) -> list[str]:
        """Insert what is new, skip ids already there; returns the ids inserted."""
        if self.engine.dialect.name == "postgresql":
            # One statement with one array per column: a multi-row VALUES list of 1000 rows
            # has 17,000 placeholders, and parsing those costs psycopg more than the insert.
            params = {name: [row[name] for row in rows] for name in _PG_ARRAYS}
            return list(conn.execute(_PG_INSERT, params).scalars())
        stmt = (
            sqlite.insert(Record).on_conflict_do_nothing(index_elements=["id"]).returning(Record.id)
        )
        return list(conn.execute(stmt, rows).scalars())

    def heartbeat(self, caller: Caller, data: dict[str, Any]) -> None:
        with self.session.begin() as s:
            k = s.get(Kiosk, (caller.kiosk_venue, caller.kiosk_id))
            if k is None:
                raise RegistryError("kiosk not registered")
            k.last_seen_ms = now_ms()
            k.version = str(data.get("version") or "")[:32] or None
            k.queue_depth = data.get("queue_depth")
            k.last_decision = data.get("last_decision")
            k.clock_offset_ms = data.get("clock_offset_ms")
            k.trust_version = data.get("trust_version")
            k.deny_version = data.get("deny_version")

    # ------------------------------------------------------------ people looking

    def live(self, venue_id: str, limit: int = 50) -> dict[str, Any]:
        """Today's entries and exits at a venue, masked, for its controllers."""
        now = now_ms()
        with self.session() as s:
            venue = s.get(Venue, venue_id)
            if venue is None:
                raise RegistryError(f"no venue {venue_id}")
            # "Today" starts at the venue's own midnight, as on its kiosks' occupancy count.
            local = datetime.fromtimestamp(now / 1000, ZoneInfo(venue.timezone))
            start = int(local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp() * 1000)
            counts = dict(
                s.execute(
                    select(Record.direction, func.count())
                    .where(
                        Record.venue_id == venue_id,
                        Record.created_ms >= start,
                        Record.verdict == "PASS",
                    )
                    .group_by(Record.direction)
                ).all()
            )
            fails = s.scalar(
                select(func.count())
                .select_from(Record)
                .where(
                    Record.venue_id == venue_id,
                    Record.created_ms >= start,
                    Record.verdict == "FAIL",
                )
            )
            recent = s.scalars(
                select(Record)
                .where(Record.venue_id == venue_id)
                .order_by(Record.created_ms.desc())
                .limit(limit)
            ).all()
            kiosks = s.scalars(
                select(Kiosk).where(Kiosk.venue_id == venue_id).order_by(Kiosk.id)
            ).all()
        entries, exits = counts.get("entry", 0), counts.get("exit", 0)
        window = self.settings.online_window * 1000
        return {
            "venue": {"id": venue.id, "name": venue.name},
            "server_time": iso_ms(now),
            "today": {
                "entries": entries,
                "exits": exits,
                "occupancy": max(0, entries - exits),
                "fails": fails,
            },
            "recent": [
                {
                    "time": iso_ms(r.created_ms),
                    "kiosk_id": r.kiosk_id,
                    "direction": r.direction,
                    "verdict": r.verdict,
                    "code_kind": r.code_kind,
                    "verified": r.verified,
                    "masked_name": r.masked_name,
                    "subject": mask_subject(r.subject),
                }
                for r in recent
            ],
            "kiosks": [
                {
                    "id": k.id,
                    "online": bool(k.last_seen_ms and now - k.last_seen_ms < window),
                    "last_heartbeat": iso_ms(k.last_seen_ms) if k.last_seen_ms else None,
                    "queue_depth": k.queue_depth,
                    "version": k.version,
                }
                for k in kiosks
            ],
        }

    def trace(
        self, caller: Caller, subject: str, window_min: int, since_ms: int | None
    ) -> dict[str, Any]:
        """Where a subject was recorded, and who else was recorded there within ±window minutes."""
        since = (
            since_ms
            if since_ms is not None
            else now_ms() - self.settings.retention_days * DAY * 1000
        )
        w = window_min * 60_000
        with self.session.begin() as s:
            visits = s.scalars(
                select(Record)
                .where(
                    Record.subject == subject, Record.created_ms >= since, Record.verdict == "PASS"
                )
                .order_by(Record.created_ms)
            ).all()
            contacts: dict[tuple[str, str], dict[str, Any]] = {}
            for v in visits:
                near = s.scalars(
                    select(Record).where(
                        Record.venue_id == v.venue_id,
                        Record.verdict == "PASS",
                        and_(
                            Record.created_ms >= v.created_ms - w,
                            Record.created_ms <= v.created_ms + w,
                        ),
                        Record.subject.is_not(None),
                        Record.subject != subject,
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
            result = {
                "subject": subject,
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
                "contacts": list(contacts.values()),
            }
            s.add(
                AuditEntry(
                    at_ms=now_ms(),
                    principal=caller.name,
                    action="trace",
                    params=json.dumps(
                        {"subject": subject, "window_minutes": window_min, "since_ms": since}
                    ),
                    results=len(visits) + len(contacts),
                )
            )
        return result

    def audit(self, limit: int = 100) -> list[dict[str, Any]]:
        with self.session() as s:
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
        with self.session() as s:
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
        window = self.settings.online_window * 1000
        online = sum(1 for k in kiosks if k.last_seen_ms and now - k.last_seen_ms < window)
        return {
            "per_venue_day": [
                {"venue_id": v, "day": d, **c} for (v, d), c in sorted(per_day.items())
            ],
            "per_area_day": [
                {"province": p, "district": di, "day": d, **c}
                for (p, di, d), c in sorted(per_area.items())
            ],
            "kiosks": {"total": len(kiosks), "online": online},
        }

    # ------------------------------------------------------------ health declarations

    def declare(
        self, *, name: str, id_number: str, phone: str, symptoms: bool, contact: bool
    ) -> tuple[str, str, bool]:
        """Record a declaration and issue a pass carrying its time: (QR text, pass id, at_risk)."""
        hasher = self.keys.hasher()
        declared = int(time.time())
        text, pass_id = self.issue_pass(
            name,
            valid_for=self.settings.declaration_pass_validity,
            declared_at=declared,
            category="visitor",
        )
        at_risk = symptoms or contact
        with self.session.begin() as s:
            s.add(
                Declaration(
                    created_ms=declared * 1000,
                    name=name,
                    id_hash=hasher(id_number),
                    phone=phone,
                    symptoms=symptoms,
                    contact=contact,
                    pass_id=pass_id,
                )
            )
            if at_risk:
                # Not public: the kiosk shows "please see the staff", never why.
                self.deny(s, f"pass:{pass_id}", "health_risk")
                self.deny(s, hasher(id_number), "health_risk")
        return text, pass_id, at_risk

    # ------------------------------------------------------------ retention

    def purge(self, now: int | None = None) -> dict[str, int]:
        cutoff = (now if now is not None else now_ms()) - self.settings.retention_days * DAY * 1000
        with self.session.begin() as s:
            records = s.execute(delete(Record).where(Record.created_ms < cutoff)).rowcount  # type: ignore[attr-defined]
            decls = s.execute(delete(Declaration).where(Declaration.created_ms < cutoff)).rowcount  # type: ignore[attr-defined]
        return {"records": records, "declarations": decls}
