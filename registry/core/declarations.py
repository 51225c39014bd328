"""Health declarations: each issues a pass; a risk declared bars that pass only, never an ID."""

from __future__ import annotations

import time
from typing import NamedTuple

from sqlalchemy import func, select

from checkin_protocol.records import Subject, SubjectKind
from registry.core.common import Database, RegistryError, now_ms
from registry.core.passes import Passes
from registry.db.models import Declaration, DenyEntry, IssuedPass
from registry.keys import RegistryKeys

# The most a deny entry weighs in the signed document (a pass subject, reason, flags, JSON
# punctuation, then base64): the deny list's budget is counted in entries of this size.
DENY_ENTRY_BYTES = 160


class DenyListFull(RegistryError):
    """The deny list is at its budget: a declaration that would grow it must wait."""


class Declared(NamedTuple):
    """A tuple, so callers may unpack it as (QR text, pass id, at risk)."""

    pass_text: str
    pass_id: str
    at_risk: bool


class Declarations:
    def __init__(
        self, db: Database, keys: RegistryKeys, passes: Passes, validity: int, budget: int
    ) -> None:
        self.db = db
        self.keys = keys
        self.passes = passes
        self.validity = validity
        self.max_entries = budget // DENY_ENTRY_BYTES

    def declare(
        self, *, name: str, id_number: str, phone: str, symptoms: bool, contact: bool
    ) -> Declared:
        """Record a declaration and issue a pass carrying its time, in one transaction.

        Anyone may declare with any ID number, so a declaration affects only the pass it
        issues: a declared risk bars that pass (privately), never the ID number. The ID's
        previous pass is superseded (revoked), so one ID number has one pass in force.
        """
        id_hash = str(self.keys.hasher()(id_number))
        declared = int(time.time())
        at_risk = symptoms or contact
        with self.db.session.begin() as s:
            now = now_ms()
            previous = s.scalars(
                select(IssuedPass)
                .where(
                    IssuedPass.id_hash == id_hash,
                    IssuedPass.revoked_ms.is_(None),
                    IssuedPass.valid_until_ms > now,
                )
                .with_for_update()
            ).all()
            growth = len(previous) + int(at_risk)
            if growth:
                live = s.scalar(
                    select(func.count()).select_from(DenyEntry).where(DenyEntry.expires_ms > now)
                )
                if (live or 0) + growth > self.max_entries:
                    raise DenyListFull("the deny list is at its size budget; try again later")
            for p in previous:
                self.passes.revoke_in(s, p, "superseded")
            text, pass_id = self.passes.issue_in(
                s,
                name,
                valid_for=self.validity,
                declared_at=declared,
                category="visitor",
                id_hash=id_hash,
            )
            s.add(
                Declaration(
                    created_ms=declared * 1000,
                    name=name,
                    id_hash=id_hash,
                    phone=phone,
                    symptoms=symptoms,
                    contact=contact,
                    pass_id=pass_id,
                )
            )
            pass_subject = Subject(SubjectKind.PASS, pass_id)
            ends = (declared + self.validity) * 1000
            barred = s.get(DenyEntry, id_hash)
            if barred is not None and barred.expires_ms > now:
                # A health officer barred this ID number: a new pass cannot get round that,
                # so it is born barred too (and freed with the ID's entry, see Denials.lift).
                # It is issued all the same: refusing it would tell whoever typed the number
                # that its holder is barred.
                self.passes.deny(
                    s,
                    pass_subject,
                    barred.reason_code,
                    expires_ms=min(ends, barred.expires_ms),
                    created_by=id_hash,
                )
            elif at_risk:
                # Not public: the kiosk says "please see the staff", never why.
                self.passes.deny(s, pass_subject, "health_risk", expires_ms=ends)
        return Declared(text, pass_id, at_risk)
