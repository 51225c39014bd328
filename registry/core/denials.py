"""Deny entries by ID number: a health officer's decision, audited, always with an end."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, select

from checkin_protocol.documents import DENY_LIST
from checkin_protocol.privacy import normalize_id_number
from checkin_protocol.records import REASON_PATTERN, Subject, SubjectKind
from checkin_protocol.sealing import seal_id_number
from registry.core.common import Database, RegistryError, audit, bump_list, iso_ms, now_ms
from registry.core.idnumbers import id_number_problem
from registry.core.passes import Passes
from registry.db.models import DenyEntry, IssuedPass
from registry.keys import RegistryKeys
from registry.settings import DAY

MAX_DENY_DAYS = 366


class NotDenied(RegistryError):
    """The subject to lift has no entry on the deny list."""


class Denials:
    def __init__(self, db: Database, keys: RegistryKeys, passes: Passes, default_days: int) -> None:
        self.db = db
        self.keys = keys
        self.passes = passes
        self.default_days = default_days

    def deny_id(
        self,
        officer: str,
        id_number: str,
        *,
        reason_code: str = "health_order",
        days: int | None = None,
        public: bool = False,
    ) -> dict[str, Any]:
        """Bar an ID number (by its keyed hash) at every kiosk until the entry expires."""
        problem = id_number_problem(id_number)
        if problem:
            raise RegistryError(problem)
        # As typed or pasted (spaces, a newline, fullwidth digits): the one number, for the
        # hash and for the sealed copy kiosks match a chip's number against.
        id_number = normalize_id_number(id_number)
        if not re.fullmatch(REASON_PATTERN, reason_code):
            raise RegistryError("a reason code is 1-32 of a-z, 0-9 and _")
        days = self.default_days if days is None else days
        if not 1 <= days <= MAX_DENY_DAYS:
            raise RegistryError(f"days: 1 to {MAX_DENY_DAYS}")
        subject = self.keys.hasher()(id_number)
        # Kiosks read 12-digit chip-card numbers only: a 9-digit number bars the ID's passes.
        sealed = (
            str(seal_id_number(self.keys.sealing_public(), id_number))
            if len(id_number) == 12
            else None
        )
        expires = now_ms() + days * DAY * 1000
        with self.db.session.begin() as s:
            self.passes.deny(
                s, subject, reason_code, expires_ms=expires, public=public, created_by=officer,
                sealed_id=sealed,
            )  # fmt: skip
            # The ID's passes in force are barred with it, or a declared pass would get round
            # the ID entry; they are marked as the ID entry's, to be freed with it.
            passes = s.scalars(
                select(IssuedPass).where(
                    IssuedPass.id_hash == str(subject),
                    IssuedPass.revoked_ms.is_(None),
                    IssuedPass.valid_until_ms > now_ms(),
                )
            ).all()
            for p in passes:
                self.passes.deny(
                    s,
                    Subject(SubjectKind.PASS, p.pass_id),
                    reason_code,
                    expires_ms=min(expires, p.valid_until_ms),
                    public=public,
                    created_by=str(subject),
                )
            # The hash, never the number, goes into the audit log.
            audit(
                s,
                officer,
                "deny_id",
                {"subject": str(subject), "reason_code": reason_code, "days": days},
                1,
            )
        return {"subject": str(subject), "reason_code": reason_code, "expires": iso_ms(expires)}

    def entries(self, kind: SubjectKind | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """Deny entries in force, newest first."""
        with self.db.session() as s:
            q = select(DenyEntry).where(DenyEntry.expires_ms > now_ms())
            if kind is not None:
                q = q.where(DenyEntry.subject.startswith(f"{kind.value}:"))
            rows = s.scalars(q.order_by(DenyEntry.created_ms.desc()).limit(limit)).all()
        return [
            {
                "subject": d.subject,
                "reason_code": d.reason_code,
                "public": d.public,
                "created": iso_ms(d.created_ms),
                "expires": iso_ms(d.expires_ms),
                "created_by": d.created_by,
            }
            for d in rows
        ]

    def lift(self, officer: str, subject: Subject) -> None:
        """Take an entry off the deny list at once (audited)."""
        with self.db.session.begin() as s:
            entry = s.get(DenyEntry, str(subject))
            if entry is None:
                raise NotDenied(f"{subject.masked()} is not on the deny list")
            s.delete(entry)
            s.execute(delete(DenyEntry).where(DenyEntry.created_by == str(subject)))
            bump_list(s, DENY_LIST)
            audit(s, officer, "deny_lift", {"subject": str(subject)}, 1)
