"""Health declarations: each issues a pass; a risk declared bars that pass only, never an ID."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from checkin_protocol.privacy import mask_name
from checkin_protocol.records import Subject, SubjectKind
from registry.core.common import Database, RegistryError, now_ms
from registry.core.consent import consent_problem
from registry.core.passes import Passes
from registry.core.proofcodes import ProofCodes
from registry.core.sealed_fields import seal_fields
from registry.db.models import Declaration, DenyEntry, IssuedPass
from registry.keys import RegistryKeys

# The most a deny entry weighs in the signed document (a pass subject, reason, flags, JSON
# punctuation, then base64): the deny list's budget is counted in entries of this size.
DENY_ENTRY_BYTES = 160


class DenyListFull(RegistryError):
    """The deny list is at its budget: a declaration that would grow it must wait."""


class DeclaredShareFull(DenyListFull):
    """The declarations' share of the deny list (or this address's part of it) is in use:
    an at-risk declaration gets its advice, and no pass, until entries expire."""


def requester_key(address: str) -> str:
    """Whose entries these are, for the per-address cap: an IPv6 address by its /64 (one
    household or host has the whole /64), an IPv4 address whole."""
    if ":" in address:
        groups = address.split("%", 1)[0].split(":")
        return ":".join(groups[:4]) + "::/64"
    return address


class Declared(NamedTuple):
    """A tuple, so callers may unpack it as (QR text, pass id, at risk, superseded)."""

    pass_text: str
    pass_id: str
    at_risk: bool
    superseded: bool = False


def device_hash(secret: str) -> str:
    """What the registry keeps of a device's secret: its SHA-256 (the secret is 128+ random
    bits, so no salt or stretching is needed to keep it from being guessed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class Declarations:
    def __init__(
        self,
        db: Database,
        keys: RegistryKeys,
        passes: Passes,
        validity: int,
        budget: int,
        *,
        declared_share_pct: int = 50,
        per_address: int = 20,
        codes: ProofCodes | None = None,
    ) -> None:
        self.db = db
        self.keys = keys
        self.passes = passes
        self.validity = validity
        self.max_entries = budget // DENY_ENTRY_BYTES
        # Anonymous declarations may hold this many live entries between them (a risk
        # declared, a pass superseded), and one address this many: the rest of the budget
        # is the health officers', which no declaration can take.
        self.declared_max = self.max_entries * declared_share_pct // 100
        self.per_address = per_address
        self.codes = codes

    def _declared_room(self, s: Session, now: int, who: str, growth: int) -> bool:
        """Whether the declarations' share, and this requester's part of it, has room."""
        live = DenyEntry.expires_ms > now
        declared = DenyEntry.requested_by.is_not(None)
        shared, mine = s.execute(
            select(
                func.count().filter(declared),
                func.count().filter(DenyEntry.requested_by == who),
            ).where(live)
        ).one()
        return shared + growth <= self.declared_max and mine + growth <= self.per_address

    def _proven(
        self,
        s: Session,
        id_hash: str,
        now: int,
        previous: str | None,
        device_of: str | None,
        code: str | None,
    ) -> IssuedPass | None:
        """The pass in force of this ID number that the declarant proved to hold, if any:
        shown with its device's secret, or named by the code its phone was sent."""
        found = None
        if previous and device_of:
            shown = s.get(IssuedPass, previous, with_for_update=True)
            if (
                shown is not None
                and shown.id_hash == id_hash
                and shown.device_hash is not None
                and hmac.compare_digest(shown.device_hash, device_of)
            ):
                found = shown
        if found is None and code and self.codes is not None:
            found = self.codes.redeem_in(s, id_hash, code, now)
        if found is None or found.revoked_ms is not None or found.valid_until_ms <= now:
            return None
        return found

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
        """Record a declaration and issue a pass carrying its time, in one transaction.

        Anyone may declare with any ID number (it is printed on the card, not a secret), so a
        declaration affects only the pass it issues: a declared risk bars that pass
        (privately), never the ID number, and it leaves every other pass of the ID alone.
        Only the holder replaces their own pass: `previous` (a pass id) is superseded
        (revoked) when `device` is the secret of the device that pass was issued to — what
        the declaration page keeps beside the pass, and a photo of the QR does not carry.
        Or `code`: a one-time code sent to the phone declared with a pass in force (see
        ProofCodes.send) supersedes that pass.

        What a declaration adds to the deny list comes from the declarations' share, capped
        per `requester` (a client address): when that is in use a pass is not superseded
        (it expires as it would), and an at-risk declaration raises DeclaredShareFull.
        """
        problem = consent_problem(consent)
        if problem:
            raise RegistryError(problem)
        id_hash = str(self.keys.hasher()(id_number))
        declared = int(time.time())
        at_risk = symptoms or contact
        device_of = device_hash(device) if device else None
        with self.db.session.begin() as s:
            now = now_ms()
            replaced = self._proven(s, id_hash, now, previous, device_of, code)
            who = str(self.keys.hasher()(f"address:{requester_key(requester)}"))
            # Checked for every at-risk declaration, barred ID or not: answered alike, so the
            # answer tells nothing of a bar.
            if at_risk and not self._declared_room(s, now, who, 1 + int(replaced is not None)):
                replaced = None
                if not self._declared_room(s, now, who, 1):
                    raise DeclaredShareFull(
                        "the deny list's share for declarations is in use; try again later"
                    )
            if replaced is not None and not self._declared_room(s, now, who, 1):
                replaced = None
            barred = s.get(DenyEntry, id_hash)
            barred = barred if barred is not None and barred.expires_ms > now else None
            growth = int(replaced is not None) + int(at_risk or barred is not None)
            if growth:
                live = s.scalar(
                    select(func.count()).select_from(DenyEntry).where(DenyEntry.expires_ms > now)
                )
                if (live or 0) + growth > self.max_entries:
                    raise DenyListFull("the deny list is at its size budget; try again later")
            if replaced is not None:
                self.passes.revoke_in(s, replaced, "superseded", requested_by=who)
            text, pass_id = self.passes.issue_in(
                s,
                name,
                valid_for=self.validity,
                declared_at=declared,
                category="visitor",
                id_hash=id_hash,
                device_hash=device_of,
            )
            s.add(
                Declaration(
                    created_ms=declared * 1000,
                    # In clear only the masked name; the rest sealed under a key outside the
                    # database (registry.core.sealed_fields).
                    name=mask_name(name),
                    id_hash=id_hash,
                    sealed=seal_fields(
                        self.keys,
                        {"name": name, "phone": phone, "symptoms": symptoms, "contact": contact},
                    ),
                    pass_id=pass_id,
                    consent_version=consent,
                    consent_ms=now,
                )
            )
            pass_subject = Subject(SubjectKind.PASS, pass_id)
            ends = (declared + self.validity) * 1000
            if barred is not None:
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
                self.passes.deny(s, pass_subject, "health_risk", expires_ms=ends, requested_by=who)
        return Declared(text, pass_id, at_risk, replaced is not None)
