"""Retention: everything personal is deleted on time, in small batches, by a job inside `serve`."""

from __future__ import annotations

import logging
import re
import threading
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, or_, select, tuple_, update

from checkin_protocol.documents import DENY_LIST
from registry.core.common import Database, bump_list, now_ms
from registry.db.models import (
    AreaDay,
    AuditEntry,
    Declaration,
    DenyEntry,
    Erasure,
    IssuedPass,
    LoginLimit,
    ProofCode,
    Record,
    RecordDay,
    SelfCheckin,
    SigninDevice,
    SkewedDay,
    SubjectRequest,
    WebSession,
)
from registry.db.partitions import (
    DAY_MS,
    days_before,
    drop_partition,
    ensure_partitions,
    wanted_days,
)
from registry.db.scrub import scrub
from registry.settings import DAY, Settings

log = logging.getLogger(__name__)

# A subject as an audit entry quotes it (checkin_protocol.records.SUBJECT_PATTERN).
SUBJECT_KINDS = ("pass", "qid", "idh", "sealed")
SUBJECT_TEXT = re.compile(r"\b(?:pass|qid|idh|sealed):[0-9A-Za-z_-]+")


class Retention:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    def purge(self, now: int | None = None, time_budget: float | None = None) -> dict[str, int]:
        """Delete what is past its keeping; returns rows deleted per kind.

        Each batch is its own transaction: on SQLite the single writer is held for one batch
        at a time, so kiosk uploads keep flowing during a large purge. Past `time_budget`
        seconds the run stops; the next one carries on.
        """
        now = now if now is not None else now_ms()
        keep = self.settings.retention_days * DAY * 1000
        deadline = time.monotonic() + time_budget if time_budget else None
        audit_keep = self.settings.audit_retention_days * DAY * 1000
        # Day counts hold nothing personal: kept as long as the audit log, for comparisons.
        last_counted = datetime.fromtimestamp((now - audit_keep) / 1000, UTC).date().isoformat()
        dropped = 0
        records_before = now - keep
        if self.db.is_postgresql:
            # Whole days go at once: a partition dropped, no row deleted, nothing to VACUUM.
            # A record is kept until its kiosk day is past the retention (up to a day more);
            # rows go one by one only from the DEFAULT partition (kiosk clocks far off) and
            # where a kiosk's clock was off by more than a day.
            with self.db.engine.begin() as conn:
                old = days_before(conn, now - keep)
                ensure_partitions(conn, wanted_days(now, set()))
            for day in old:
                # One transaction each: a DROP locks the table until it commits.
                with self.db.engine.begin() as conn:
                    dropped += drop_partition(conn, day)
            records_before -= DAY * 1000
        plan: list[tuple[str, Any, Any]] = [
            ("records", Record, Record.created_ms < records_before),
            ("declarations", Declaration, Declaration.created_ms < now - keep),
            ("deny_entries", DenyEntry, DenyEntry.expires_ms <= now),
            ("issued_passes", IssuedPass, IssuedPass.valid_until_ms < now - keep),
            ("web_sessions", WebSession, WebSession.expires_ms <= now),
            ("audit_log", AuditEntry, AuditEntry.at_ms < now - audit_keep),
            ("record_days", RecordDay, RecordDay.day < last_counted),
        ]
        done: dict[str, int] = {}
        for name, model, condition in plan:
            done[name] = self._purge(model, condition, deadline)
        done["records"] += dropped
        # The skewed days of records no longer kept (day numbers: a day more, to be sure).
        self._purge(SkewedDay, SkewedDay.created_day < records_before // DAY_MS - 1, deadline)
        # The districts' counts go with the venues' (and are not reported apart from them).
        self._purge(AreaDay, AreaDay.day < last_counted, deadline)
        # One-time codes live ten minutes; they are kept a day, to count a day's sends.
        self._purge(ProofCode, ProofCode.created_ms < now - DAY * 1000, deadline)
        # Sign-in windows long over, and browsers no longer known to their account.
        self._purge(LoginLimit, LoginLimit.window_ms < now - DAY * 1000, deadline)
        self._purge(SigninDevice, SigninDevice.expires_ms <= now, deadline)
        # A phone's state at a venue (a pass id, in or out) matters for a day: two are kept.
        self._purge(SelfCheckin, SelfCheckin.entered_ms < now - 2 * DAY * 1000, deadline)
        # The record of a person's request is evidence, kept as long as the audit log.
        self._purge(SubjectRequest, SubjectRequest.asked_ms < now - audit_keep, deadline)
        # An erasure leaves the deny list once no kiosk can hold what it erases.
        done["deny_entries"] += self._purge(Erasure, Erasure.expires_ms <= now, deadline)
        if done["deny_entries"]:
            # A new version, so kiosks fetch the smaller list instead of a 304.
            with self.db.session.begin() as s:
                bump_list(s, DENY_LIST)
        # The audit log is kept longer than what it is about: past the retention it says who
        # traced or barred, when and why, no longer whom.
        forgotten = self._forget_subjects(now - keep, deadline)
        if (any(done.values()) or forgotten) and not self.db.is_postgresql:
            # Out of the -wal file too (PostgreSQL: autovacuum, and docs/privacy.md).
            scrub(self.db.engine)
        return done

    def _forget_subjects(self, before: int, deadline: float | None) -> int:
        """Replace the subjects in audit entries older than `before` by `expired`; returns
        how many entries changed. In batches, each its own transaction."""
        size = self.settings.purge_batch
        total = 0
        named = or_(*(AuditEntry.params.contains(f"{kind}:") for kind in SUBJECT_KINDS))
        while deadline is None or time.monotonic() < deadline:
            with self.db.session.begin() as s:
                rows = s.execute(
                    select(AuditEntry.id, AuditEntry.params)
                    .where(AuditEntry.at_ms < before, named)
                    .limit(size)
                ).all()
                changed = 0
                for entry_id, params in rows:
                    kept = SUBJECT_TEXT.sub("expired", params)
                    if kept != params:
                        s.execute(
                            update(AuditEntry).where(AuditEntry.id == entry_id).values(params=kept)
                        )
                        changed += 1
            total += changed
            # Rows whose text only looked like a subject change nothing: stop at them.
            if len(rows) < size or changed == 0:
                break
        return total

    def _purge(self, model: Any, condition: Any, deadline: float | None) -> int:
        key = tuple_(*model.__table__.primary_key.columns)
        size = (
            self.settings.purge_batch_postgresql
            if self.db.is_postgresql
            else self.settings.purge_batch
        )
        total = 0
        while deadline is None or time.monotonic() < deadline:
            with self.db.session.begin() as s:
                batch = select(*model.__table__.primary_key.columns).where(condition)
                n = s.execute(delete(model).where(key.in_(batch.limit(size)))).rowcount  # type: ignore[attr-defined]
            total += n
            if n < size:
                break
        return total


class PurgeJob:
    """Runs retention every `interval` seconds on a thread of its own, until stopped."""

    def __init__(self, retention: Retention, interval: float, time_budget: float) -> None:
        self.retention = retention
        self.interval = interval
        self.time_budget = time_budget
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="retention", daemon=True)
        self.last: dict[str, Any] | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                counts = self.retention.purge(time_budget=self.time_budget)
            except Exception as exc:  # the job must outlive a bad run
                # The type only: a database error's text may quote what it was about.
                log.error("retention run failed: %s", type(exc).__name__)
                continue
            self.last = {"at_ms": now_ms(), "deleted": counts}
            if any(counts.values()):
                log.info("retention deleted %s", counts)
