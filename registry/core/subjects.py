"""A person's requests about their data: find what is held about them, export it, erase it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, false, or_, select, update
from sqlalchemy.orm import Session

from checkin_protocol.documents import DENY_LIST
from checkin_protocol.erasure import erasure_digest, record_key
from checkin_protocol.privacy import mask_name, normalize_id_number
from checkin_protocol.records import mask_subject
from registry.core.common import (
    Database,
    RegistryError,
    audit,
    bump_list,
    iso_ms,
    now_ms,
    text_problem,
)
from registry.core.idnumbers import id_number_problem
from registry.core.passes import Passes
from registry.core.sealed_fields import open_fields, seal_fields
from registry.db.models import (
    AuditEntry,
    Declaration,
    DenyEntry,
    Erasure,
    IssuedPass,
    Kiosk,
    ListVersion,
    Principal,
    ProofCode,
    Record,
    SelfCheckin,
    SubjectRequest,
    Venue,
)
from registry.db.scrub import scrub
from registry.keys import RegistryKeys
from registry.settings import DAY, Settings

# Nghị định 356/2025/NĐ-CP: the controller answers a data subject's request within 2 working
# days of receiving it, and carries it out within 15 days (once extendable by 15 more; 20
# where a processor must act too). Working days are Monday to Friday here: public holidays
# (Tết, 30/4, 1/5, 2/9) are the venue's to add, and only make the deadline later.
REPLY_WORKING_DAYS = 2
DONE_DAYS = 15
LEGAL_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


UNREADABLE = "(không đọc được / unreadable)"
PHONE = re.compile(r"\+?[0-9 ]{8,16}")


def _correction_problem(name: str | None, phone: str | None) -> str | None:
    if name is None and phone is None:
        return "nothing to correct: give --name or --phone"
    if name is not None and (not 2 <= len(name.strip()) <= 100 or text_problem(name)):
        return "a name is 2-100 printable characters"
    if phone is not None and not PHONE.fullmatch(phone.strip()):
        return "a phone number is 8-16 digits (spaces and a leading + allowed)"
    return None


class Lookup(StrEnum):
    ID_NUMBER = "id_number"
    PASS = "pass"
    DECLARATION = "declaration"


class RequestKind(StrEnum):
    FIND = "find"
    EXPORT = "export"
    ERASE = "erase"
    CORRECT = "correct"
    WITHDRAW = "withdraw"


def working_days_after(ms: int, days: int, zone: ZoneInfo = LEGAL_ZONE) -> int:
    """The end of the `days`-th working day (Monday-Friday) after the day of `ms`, at `zone`."""
    day = datetime.fromtimestamp(ms / 1000, zone).date()
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    return int(end.timestamp() * 1000) - 1


def days_after(ms: int, days: int, zone: ZoneInfo = LEGAL_ZONE) -> int:
    """The end of the `days`-th calendar day after the day of `ms`, at `zone`."""
    day = datetime.fromtimestamp(ms / 1000, zone).date() + timedelta(days=days + 1)
    return int(datetime.combine(day, time(0), zone).timestamp() * 1000) - 1


@dataclass
class Person:
    """One person as the registry knows them: the keyed hash of their ID number (if any is
    known), every pass issued to it, every declaration made with it. A card read at a door
    leaves the `idh:`, a pass the `pass:`: both are this person's."""

    id_hash: str | None
    passes: set[str] = field(default_factory=set)
    declarations: set[int] = field(default_factory=set)

    @property
    def subjects(self) -> list[str]:
        found = [f"pass:{p}" for p in sorted(self.passes)]
        return [self.id_hash, *found] if self.id_hash else found


@dataclass
class Held:
    """Everything held about one person, row by row, as the export shows it."""

    records: list[dict[str, Any]]
    declarations: list[dict[str, Any]]
    passes: list[dict[str, Any]]
    deny_entries: list[dict[str, Any]]
    self_checkins: list[dict[str, Any]]
    seen_by: list[dict[str, Any]]  # audit entries about them: who traced, barred, lifted

    def counts(self) -> dict[str, int]:
        return {
            "records": len(self.records),
            "declarations": len(self.declarations),
            "issued_passes": len(self.passes),
            "deny_entries": len(self.deny_entries),
            "self_checkins": len(self.self_checkins),
            "audit_entries": len(self.seen_by),
        }


@dataclass(frozen=True)
class Answer:
    """What a request found or did, and the request as recorded."""

    request: dict[str, Any]
    held: Held
    erased: dict[str, int] | None = None


def same_person(s: Session, subject: str) -> list[str]:
    """`subject` and every other subject of the same person, `subject` first: an ID number's
    `idh:` and the passes declared with it, whichever of them is given. Another subject
    (a QID, a pass issued without a declaration) is only itself."""
    kind, _, value = subject.partition(":")
    id_hash: str | None = None
    if kind == "idh":
        id_hash = subject
    elif kind == "pass":
        issued = s.get(IssuedPass, value)
        id_hash = issued.id_hash if issued is not None else None
    if id_hash is None:
        return [subject]
    person = Person(id_hash)
    person.passes |= set(s.scalars(select(IssuedPass.pass_id).where(IssuedPass.id_hash == id_hash)))
    return [subject, *(x for x in person.subjects if x != subject)]


class Subjects:
    """Find, export and erase one person's data; each request recorded and audited."""

    def __init__(
        self, db: Database, keys: RegistryKeys, settings: Settings, passes: Passes
    ) -> None:
        self.db = db
        self.keys = keys
        self.settings = settings
        self.passes = passes

    # ------------------------------------------------------------------ who the person is

    def person(self, s: Session, lookup: Lookup, value: str) -> Person:
        """The person a request is about, from their ID number, a pass id or a declaration id;
        RegistryError when nothing is known of it (and, for an ID number, when it is none)."""
        id_hash: str | None = None
        passes: set[str] = set()
        if lookup is Lookup.ID_NUMBER:
            number = normalize_id_number(value)
            problem = id_number_problem(number)
            if problem:
                raise RegistryError(problem)
            id_hash = str(self.keys.hasher()(number))
        elif lookup is Lookup.PASS:
            pass_id = value.strip().lower().removeprefix("pass:")
            if not pass_id or any(c not in "0123456789abcdef" for c in pass_id):
                raise RegistryError("a pass id is hex digits, as on the pass or its records")
            passes.add(pass_id)
            issued = s.get(IssuedPass, pass_id)
            id_hash = issued.id_hash if issued is not None else None
            if id_hash is None:
                id_hash = s.scalar(
                    select(Declaration.id_hash).where(Declaration.pass_id == pass_id).limit(1)
                )
        else:
            if not value.strip().isdigit():
                raise RegistryError("a declaration id is a number")
            declared = s.get(Declaration, int(value.strip()))
            if declared is None:
                raise RegistryError(f"no declaration {value.strip()}")
            id_hash = declared.id_hash
        person = Person(id_hash, passes)
        if id_hash is not None:
            person.passes |= set(
                s.scalars(select(IssuedPass.pass_id).where(IssuedPass.id_hash == id_hash))
            )
            person.passes |= set(
                s.scalars(select(Declaration.pass_id).where(Declaration.id_hash == id_hash))
            )
            person.declarations |= set(
                s.scalars(select(Declaration.id).where(Declaration.id_hash == id_hash))
            )
        return person

    # ------------------------------------------------------------------ what is held

    def held(self, s: Session, person: Person) -> Held:
        subjects = person.subjects
        venues = {v: n for v, n in s.execute(select(Venue.id, Venue.name))}
        records = s.scalars(
            select(Record).where(Record.subject.in_(subjects)).order_by(Record.created_ms)
        ).all()
        declarations = s.scalars(
            select(Declaration)
            .where(Declaration.id.in_(person.declarations))
            .order_by(Declaration.created_ms)
        ).all()
        passes = s.scalars(
            select(IssuedPass)
            .where(IssuedPass.pass_id.in_(person.passes))
            .order_by(IssuedPass.issued_ms)
        ).all()
        denied = s.scalars(select(DenyEntry).where(_deny_of(person))).all()
        phones = s.scalars(select(SelfCheckin).where(SelfCheckin.pass_id.in_(person.passes))).all()
        seen = s.scalars(
            select(AuditEntry).where(_mentions(subjects)).order_by(AuditEntry.at_ms)
        ).all()
        keep = self.settings.retention_days * DAY * 1000
        return Held(
            records=[
                {
                    "time": iso_ms(r.created_ms),
                    "kept_until": iso_ms(r.created_ms + keep),
                    "venue": venues.get(r.venue_id, r.venue_id),
                    "kiosk": r.kiosk_id,
                    "direction": r.direction,
                    "verdict": r.verdict,
                    "reason": r.reason,
                    "code_kind": r.code_kind,
                    "masked_name": r.masked_name,
                    "subject": mask_subject(r.subject),
                }
                for r in records
            ],
            declarations=[
                {
                    "id": d.id,
                    "time": iso_ms(d.created_ms),
                    "kept_until": iso_ms(d.created_ms + keep),
                    **self._fields(d),
                    "pass_id": d.pass_id,
                }
                for d in declarations
            ],
            passes=[
                {
                    "pass_id": p.pass_id,
                    "issued": iso_ms(p.issued_ms),
                    "valid_until": iso_ms(p.valid_until_ms),
                    "revoked": iso_ms(p.revoked_ms) if p.revoked_ms else None,
                    "kept_until": iso_ms(p.valid_until_ms + keep),
                }
                for p in passes
            ],
            deny_entries=[
                {
                    "subject": mask_subject(e.subject),
                    "reason_code": e.reason_code,
                    "since": iso_ms(e.created_ms),
                    "kept_until": iso_ms(e.expires_ms),
                    # Who barred: a health officer by name, else the registry (a declaration).
                    "by": e.created_by if e.created_by and ":" not in e.created_by else None,
                }
                for e in denied
            ],
            self_checkins=[
                {
                    "venue": venues.get(c.venue_id, c.venue_id),
                    "inside": c.inside,
                    "entered": iso_ms(c.entered_ms),
                    "left": iso_ms(c.left_ms) if c.left_ms else None,
                    "kept_until": iso_ms(c.entered_ms + 2 * DAY * 1000),
                }
                for c in phones
            ],
            seen_by=[
                {
                    "time": iso_ms(a.at_ms),
                    "who": a.principal,
                    "action": a.action,
                    "reason": _reason(a.params),
                    "kept_until": iso_ms(a.at_ms + self.settings.audit_retention_days * DAY * 1000),
                }
                for a in seen
            ],
        )

    def _fields(self, d: Declaration) -> dict[str, Any]:
        """A declaration's name, phone and answers: opened from `sealed`, or the columns of
        one made before they were sealed."""
        if d.sealed is None:
            return {"name": d.name, "phone": d.phone, "symptoms": d.symptoms, "contact": d.contact}
        found = open_fields(self.keys, d.sealed)
        if found is None:
            return {"name": d.name, "phone": UNREADABLE, "symptoms": None, "contact": None}
        return {k: found.get(k) for k in ("name", "phone", "symptoms", "contact")}

    # ------------------------------------------------------------------ the requests

    def answer(
        self,
        who: str,
        kind: RequestKind,
        lookup: Lookup,
        value: str,
        *,
        asked_ms: int | None = None,
    ) -> Answer:
        """Find, export or erase: the request recorded and audited in the same transaction as
        what it read or deleted. An erasure is then scrubbed from the database's files."""
        now = now_ms()
        asked = asked_ms if asked_ms is not None else now
        if asked > now + 60_000:
            raise RegistryError("a request cannot be asked in the future")
        with self.db.session.begin() as s:
            person = self.person(s, lookup, value)
            held = self.held(s, person)
            row = SubjectRequest(
                asked_ms=asked,
                recorded_by=who,
                kind=kind.value,
                lookup=lookup.value,
                reply_due_ms=working_days_after(asked, REPLY_WORKING_DAYS),
                done_due_ms=days_after(asked, DONE_DAYS),
                answered_ms=now,
                outcome="{}",
            )
            s.add(row)
            s.flush()
            erased = self._erase(s, person, row.id) if kind is RequestKind.ERASE else None
            row.outcome = json.dumps({"found": held.counts(), "erased": erased})
            # The audit names the request, never the person: it outlives an erasure.
            audit(
                s,
                who,
                f"subject_{kind.value}",
                {"request": row.id, "lookup": lookup.value},
                sum(held.counts().values()),
            )
            request = _request(row)
        if erased is not None:
            scrub(self.db.engine)
        return Answer(request, held, erased)

    def correct(
        self,
        who: str,
        lookup: Lookup,
        value: str,
        *,
        name: str | None = None,
        phone: str | None = None,
        asked_ms: int | None = None,
    ) -> Answer:
        """Correct what a person declared (their name, their phone) in each of their
        declarations, recorded and audited as a request. A pass already issued keeps the
        masked name it was signed with: a new declaration gives one with the new name."""
        problem = _correction_problem(name, phone)
        if problem:
            raise RegistryError(problem)
        now = now_ms()
        asked = asked_ms if asked_ms is not None else now
        with self.db.session.begin() as s:
            person = self.person(s, lookup, value)
            if not person.declarations:
                raise RegistryError("nothing to correct: no declaration of this person")
            for d in s.scalars(select(Declaration).where(Declaration.id.in_(person.declarations))):
                fields = self._fields(d)
                if fields["phone"] == UNREADABLE:
                    raise RegistryError("a declaration is sealed under another key")
                fields |= {k: v for k, v in (("name", name), ("phone", phone)) if v is not None}
                d.name = mask_name(str(fields["name"]))
                d.sealed = seal_fields(self.keys, fields)
                d.phone, d.symptoms, d.contact = None, None, None
            row = SubjectRequest(
                asked_ms=asked,
                recorded_by=who,
                kind=RequestKind.CORRECT.value,
                lookup=lookup.value,
                reply_due_ms=working_days_after(asked, REPLY_WORKING_DAYS),
                done_due_ms=days_after(asked, DONE_DAYS),
                answered_ms=now,
                outcome=json.dumps(
                    {
                        "corrected": {
                            "declarations": len(person.declarations),
                            "fields": [
                                k for k, v in (("name", name), ("phone", phone)) if v is not None
                            ],
                        }
                    }
                ),
            )
            s.add(row)
            s.flush()
            audit(s, who, "subject_correct", {"request": row.id, "lookup": lookup.value},
                  len(person.declarations))  # fmt: skip
            request = _request(row)
            held = self.held(s, person)
        return Answer(request, held)

    def withdraw(
        self, who: str, lookup: Lookup, value: str, *, asked_ms: int | None = None
    ) -> Answer:
        """The person withdraws their consent (or objects to what rests on it): their health
        declarations are deleted and the passes issued from them revoked at every kiosk. What
        rests on another basis (the door's records) stays, until its retention or an erasure."""
        now = now_ms()
        asked = asked_ms if asked_ms is not None else now
        with self.db.session.begin() as s:
            person = self.person(s, lookup, value)
            declared = set(
                s.scalars(
                    select(Declaration.pass_id).where(Declaration.id.in_(person.declarations))
                )
            )
            revoked = 0
            for p in s.scalars(select(IssuedPass).where(IssuedPass.pass_id.in_(declared))):
                if p.revoked_ms is None:
                    self.passes.revoke_in(s, p, "consent_withdrawn")
                    revoked += 1
            deleted = _deleted(
                s, delete(Declaration).where(Declaration.id.in_(person.declarations))
            )
            row = SubjectRequest(
                asked_ms=asked,
                recorded_by=who,
                kind=RequestKind.WITHDRAW.value,
                lookup=lookup.value,
                reply_due_ms=working_days_after(asked, REPLY_WORKING_DAYS),
                done_due_ms=days_after(asked, DONE_DAYS),
                answered_ms=now,
                outcome=json.dumps(
                    {"withdrawn": {"declarations": deleted, "passes_revoked": revoked}}
                ),
            )
            s.add(row)
            s.flush()
            audit(s, who, "subject_withdraw", {"request": row.id, "lookup": lookup.value}, deleted)
            request = _request(row)
            held = self.held(s, person)
        return Answer(request, held)

    def _erase(self, s: Session, person: Person, request_id: int) -> dict[str, int]:
        subjects = person.subjects
        # What kiosks still hold goes too: the deny list carries digests of the records
        # (by id: an ID card's record is sealed at the kiosk, unlike here) and the subjects.
        ids = s.scalars(select(Record.id).where(Record.subject.in_(subjects))).all()
        digests = {erasure_digest(record_key(i)) for i in ids}
        digests |= {erasure_digest(x) for x in subjects}
        now = now_ms()
        keep = now + self.settings.retention_days * DAY * 1000
        s.execute(
            self.db.insert()(Erasure)
            .values([
                {"digest": d, "request_id": request_id, "created_ms": now, "expires_ms": keep}
                for d in sorted(digests)
            ])
            .on_conflict_do_update(index_elements=["digest"], set_={"expires_ms": keep})
        )  # fmt: skip
        done = {
            "records": _deleted(s, delete(Record).where(Record.subject.in_(subjects))),
            "self_checkins": _deleted(
                s, delete(SelfCheckin).where(SelfCheckin.pass_id.in_(person.passes))
            ),
            "declarations": _deleted(
                s, delete(Declaration).where(Declaration.id.in_(person.declarations))
            ),
            "deny_entries": _deleted(s, delete(DenyEntry).where(_deny_of(person))),
            "issued_passes": _deleted(
                s, delete(IssuedPass).where(IssuedPass.pass_id.in_(person.passes))
            ),
        }
        # One-time codes sent for the person's passes (a day at most, keyed hashes): with them.
        s.execute(delete(ProofCode).where(ProofCode.pass_id.in_(person.passes)))
        # The audit log is evidence and stays, with the person's reference replaced: who
        # traced or barred, when and why remain; whom, no longer.
        replaced = f"erased:request-{request_id}"
        entries = s.scalars(select(AuditEntry).where(_mentions(subjects))).all()
        for entry in entries:
            params = entry.params
            for subject in subjects:
                params = params.replace(subject, replaced)
            s.execute(update(AuditEntry).where(AuditEntry.id == entry.id).values(params=params))
        done["audit_entries_anonymised"] = len(entries)
        # A new deny list: without the person's entries, with the erasure for the kiosks.
        bump_list(s, DENY_LIST)
        done["deny_list_version"] = (
            s.scalar(select(ListVersion.version).where(ListVersion.name == DENY_LIST)) or 0
        )
        return done

    def requests(self, limit: int = 100) -> list[dict[str, Any]]:
        """The requests recorded, newest first, with their deadlines; an erasure with the
        kiosks that confirmed it (their heartbeat reports the deny list that carries it)
        and those that have not yet."""
        with self.db.session() as s:
            rows = s.scalars(
                select(SubjectRequest).order_by(SubjectRequest.id.desc()).limit(limit)
            ).all()
            kiosks = s.execute(
                select(Kiosk.venue_id, Kiosk.id, Kiosk.deny_version)
                .join(Principal, Principal.name == "kiosk:" + Kiosk.venue_id + "/" + Kiosk.id)
                .where(Principal.revoked_ms.is_(None))
                .order_by(Kiosk.venue_id, Kiosk.id)
            ).all()
        out = []
        for r in rows:
            request = _request(r)
            version = (request["outcome"].get("erased") or {}).get("deny_list_version")
            if version:
                request["kiosks_confirmed"] = [
                    f"{v}/{k}" for v, k, d in kiosks if d is not None and d >= version
                ]
                request["kiosks_pending"] = [
                    f"{v}/{k}" for v, k, d in kiosks if d is None or d < version
                ]
            out.append(request)
        return out


def _deny_of(person: Person) -> Any:
    # A pass born barred (its ID barred by an officer) names the ID in created_by.
    when: list[Any] = [DenyEntry.subject.in_(person.subjects)]
    if person.id_hash:
        when.append(DenyEntry.created_by == person.id_hash)
    return or_(*when)


def _mentions(subjects: list[str]) -> Any:
    # Subjects are [0-9A-Za-z_:-] only: no LIKE wildcard or escape can be among them.
    return or_(*(AuditEntry.params.contains(s) for s in subjects)) if subjects else false()


def _deleted(s: Session, statement: Any) -> int:
    return int(s.execute(statement).rowcount)  # type: ignore[attr-defined]


def _reason(params: str) -> str | None:
    try:
        value = json.loads(params).get("reason")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _request(r: SubjectRequest) -> dict[str, Any]:
    return {
        "id": r.id,
        "kind": r.kind,
        "lookup": r.lookup,
        "asked": iso_ms(r.asked_ms),
        "recorded_by": r.recorded_by,
        "reply_due": iso_ms(r.reply_due_ms),
        "done_due": iso_ms(r.done_due_ms),
        "answered": iso_ms(r.answered_ms) if r.answered_ms is not None else None,
        "outcome": json.loads(r.outcome or "{}"),
    }
