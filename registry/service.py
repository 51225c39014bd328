"""The registry as one object: its services wired on one database, for the HTTP API and the CLI."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from checkin_protocol.messages import HeartbeatRequest
from checkin_protocol.records import Subject
from registry.auth import Caller, Role
from registry.core.accounts import Accounts
from registry.core.common import Database, RegistryError, iso_ms, now_ms, parse_iso_ms
from registry.core.dcc import DccSigners
from registry.core.declarations import DENY_ENTRY_BYTES, Declarations, Declared
from registry.core.denials import Denials
from registry.core.ingest import Ingest, Result
from registry.core.lists import Lists
from registry.core.passes import Passes
from registry.core.proofcodes import ProofCodes, sender_of
from registry.core.retention import Retention
from registry.core.selfcheckin import SelfCheckins
from registry.core.signin import SignIns
from registry.core.subjects import Subjects
from registry.core.views import Views
from registry.db import make_engine, schema_is_current, setup_lock, upgrade
from registry.keys import RegistryKeys
from registry.settings import Settings

__all__ = ["Registry", "RegistryError", "Result", "iso_ms", "now_ms", "parse_iso_ms"]


class Registry:
    """The container: each responsibility is a service attribute; the methods are a thin facade."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.db = Database(engine or make_engine(settings.database_url))
        self.keys = RegistryKeys(settings.keys_dir)
        self.accounts = Accounts(self.db)
        self.passes = Passes(self.db, self.keys)
        self.lists = Lists(self.db, self.keys, settings.list_validity)
        self.ingests = Ingest(
            self.db,
            settings.max_future_ms,
            self.keys.registry_subject,
            routed_offset_ms=settings.routed_offset_ms,
        )
        # Tracing and statistics read a replica where there is one; the audit is the primary's.
        self.replica = (
            Database(make_engine(settings.replica_url)) if settings.replica_url else self.db
        )
        self.views = Views(self.db, settings, self.replica)
        self.codes = ProofCodes(self.db, self.keys, sender_of(settings.code_sender))
        self.declarations = Declarations(
            self.db,
            self.keys,
            self.passes,
            settings.declaration_pass_validity,
            settings.deny_list_budget,
            declared_share_pct=settings.declared_share_pct,
            per_address=settings.declared_per_address,
            codes=self.codes,
        )
        self.denials = Denials(self.db, self.keys, self.passes, settings.deny_id_days)
        self.retention = Retention(self.db, settings)
        self.dcc = DccSigners(self.db)
        self.self_checkins = SelfCheckins(self.db, settings.self_checkin_cooldown * 1000)
        self.signins = SignIns(self.db, *settings.login_failures, settings.signin_device_days)
        self.subjects = Subjects(self.db, self.keys, settings, self.passes)

    @property
    def engine(self) -> Engine:
        return self.db.engine

    @property
    def session(self) -> sessionmaker[Session]:
        return self.db.session

    def init(self) -> None:
        """Create the schema and keys (idempotent); the data folder is the owner's alone.

        Under the set-up lock: instances started at once migrate one after the other."""
        data = self.settings.data_dir
        data.mkdir(parents=True, exist_ok=True)
        os.chmod(data, 0o700)
        with setup_lock(self.engine, data):
            self._init()

    def _init(self) -> None:
        database = self.engine.url.database if self.engine.dialect.name == "sqlite" else None
        if database and database != ":memory:":
            # Created empty, 0600, before SQLite opens it: it would follow the umask.
            path = Path(database)
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
            os.chmod(path, 0o600)
        upgrade(self.engine)
        if database and database != ":memory:":
            for extra in (Path(database + "-wal"), Path(database + "-shm")):
                if extra.exists():
                    os.chmod(extra, 0o600)
        self.keys.create()
        self.passes.ensure_issuer_key()

    def not_ready(self) -> str | None:
        """Why this registry cannot be served without setting it up first, or None."""
        from sqlalchemy.exc import SQLAlchemyError

        try:
            current = schema_is_current(self.engine)
        except SQLAlchemyError as exc:
            # The type only: a driver's message may quote the URL with its password.
            return f"the database cannot be read ({type(exc).__name__})"
        if not current:
            return "the database schema is not at the newest migration"
        if not (self.settings.keys_dir / "lists.key").exists():
            return f"no keys in {self.settings.keys_dir}"
        return None

    # Accounts
    def add_venue(
        self,
        venue_id: str,
        name: str,
        district: str = "",
        province: str = "",
        timezone: str = "Asia/Ho_Chi_Minh",
        *,
        phone_occupancy: bool = False,
        by: str = "cli",
    ) -> None:
        self.accounts.add_venue(
            venue_id, name, district, province, timezone, phone_occupancy=phone_occupancy, by=by
        )

    def add_kiosk(self, venue_id: str, kiosk_id: str, *, by: str = "cli") -> str:
        return self.accounts.add_kiosk(venue_id, kiosk_id, by=by)

    def revoke_kiosk(self, venue_id: str, kiosk_id: str, *, by: str = "cli") -> None:
        self.accounts.revoke_kiosk(venue_id, kiosk_id, by=by)

    def add_user(
        self, name: str, role: Role, venues: Iterable[str] = (), *, by: str = "cli"
    ) -> str:
        return self.accounts.add_user(name, role, venues, by=by)

    def caller(self, token: str) -> Caller | None:
        return self.accounts.caller(token)

    # Keys, passes and lists
    def issue_pass(
        self,
        name: str,
        *,
        valid_for: int,
        birth_year: int | None = None,
        category: str | None = None,
        declared_at: int | None = None,
    ) -> tuple[str, str]:
        return self.passes.issue_pass(
            name,
            valid_for=valid_for,
            birth_year=birth_year,
            category=category,
            declared_at=declared_at,
        )

    def revoke_pass(self, pass_id: str, reason_code: str = "revoked") -> None:
        self.passes.revoke_pass(pass_id, reason_code)

    def rotate_keys(self) -> str:
        return self.passes.rotate_keys()

    def document(self, name: str) -> tuple[int, str]:
        return self.lists.document(name)

    # Kiosks talking
    def ingest(
        self,
        caller: Caller,
        records: Sequence[object],
        clock_offset_ms: int | None,
        *,
        counted: bool = True,
    ) -> list[Result]:
        return self.ingests.ingest(caller, records, clock_offset_ms, counted=counted)

    def heartbeat(self, caller: Caller, beat: HeartbeatRequest) -> None:
        self.ingests.heartbeat(caller, beat)

    # People looking
    def live(self, venue_id: str, limit: int = 50) -> dict[str, Any]:
        return self.views.live(venue_id, limit)

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
        return self.views.trace(
            caller, subject, window_min, since_ms, reason, limit=limit, offset=offset
        )

    def audit(self, limit: int = 100) -> list[dict[str, Any]]:
        return self.views.audit(limit)

    def stats(self, days: int = 7) -> dict[str, Any]:
        return self.views.stats(days)

    # Declarations and retention
    def declare(
        self,
        *,
        name: str,
        id_number: str,
        phone: str,
        symptoms: bool,
        contact: bool,
        device: str | None = None,
        previous: str | None = None,
        requester: str = "local",
        consent: str | None,
        code: str | None = None,
    ) -> Declared:
        return self.declarations.declare(
            name=name,
            id_number=id_number,
            phone=phone,
            symptoms=symptoms,
            contact=contact,
            device=device,
            previous=previous,
            requester=requester,
            consent=consent,
            code=code,
        )

    def purge(self, now: int | None = None) -> dict[str, int]:
        return self.retention.purge(now)

    def status(self) -> dict[str, Any]:
        """What an admin watches: table sizes, the deny list against its budget, the alarms."""
        from sqlalchemy import func, select

        from checkin_protocol.documents import DENY_LIST, MAX_ENVELOPE
        from registry.db.models import AuditEntry, Declaration, DenyEntry, IssuedPass, Record

        counts: dict[str, int] = {}
        with self.session() as s:
            for name, model in (
                ("records", Record),
                ("declarations", Declaration),
                ("deny_entries", DenyEntry),
                ("issued_passes", IssuedPass),
                ("audit_log", AuditEntry),
            ):
                counts[name] = s.scalar(select(func.count()).select_from(model)) or 0
            oldest = s.scalar(select(func.min(Record.created_ms)))
        version, doc = self.document(DENY_LIST)
        budget = self.settings.deny_list_budget
        alarms = []
        if len(doc) > budget * 3 // 4:
            alarms.append(
                f"deny list is {len(doc)} bytes, over 3/4 of its {budget}-byte budget "
                f"(kiosks refuse {MAX_ENVELOPE}); declarations stop at the budget"
            )
        return {
            "database": self.engine.dialect.name,
            "rows": counts,
            "oldest_record": iso_ms(oldest) if oldest is not None else None,
            "retention_days": self.settings.retention_days,
            "audit_retention_days": self.settings.audit_retention_days,
            "deny_list": {
                "version": version,
                "bytes": len(doc),
                "budget_bytes": budget,
                "max_entries": budget // DENY_ENTRY_BYTES,
                "kiosk_limit_bytes": MAX_ENVELOPE,
            },
            "alarms": alarms,
        }
