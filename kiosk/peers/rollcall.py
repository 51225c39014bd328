"""Who is inside now, at every door: a view of this door's records and those heard from peers."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from checkin_protocol.records import SubjectKind
from checkin_protocol.times import parse_iso, utc_iso
from kiosk.decision.occupancy import start_of_day
from kiosk.peers.ledger import PeerLedger
from kiosk.peers.marks import MarkBook
from kiosk.peers.wire import Mark, VenueKeys
from kiosk.store import RecordStore


@dataclass(frozen=True)
class Inside:
    """One person inside: their latest PASS today was an entry. `unsure`: that entry is older
    than `assume_left_after`, or cannot be matched with an exit (no subject: a guard's admit
    without a code, an ID card sealed afresh each time), so they may have left unscanned."""

    name: str | None  # masked, as the door's screen showed it
    door: str
    entered_utc: str
    unsure: bool
    key: str = ""  # whom, as marks name them (a keyed tag or a record): no identity
    mark: Mark | None = None  # accounted for in an evacuation: by whom, where, when


@dataclass(frozen=True)
class RollCall:
    """The list, and how current it is: when it was made, and per door the latest record
    this door holds from it (its own: now)."""

    made_utc: str
    kiosk: str
    inside: list[Inside]
    doors: dict[str, str | None] = field(default_factory=dict)
    # Per other door, when this kiosk last heard from it on the LAN (None: not heard).
    heard: dict[str, str | None] = field(default_factory=dict)

    @property
    def sure(self) -> list[Inside]:
        return [p for p in self.inside if not p.unsure]

    @property
    def unsure(self) -> list[Inside]:
        return [p for p in self.inside if p.unsure]

    def as_json(self) -> dict[str, object]:
        return {
            "made_utc": self.made_utc,
            "kiosk": self.kiosk,
            "doors": self.doors,
            "heard": self.heard,
            "inside": [_person_json(p) for p in self.inside],
        }


def _person_json(p: Inside) -> dict[str, object]:
    marked = (
        None if p.mark is None else {"by": p.mark.by, "door": p.mark.kiosk, "at_utc": p.mark.time}
    )
    return {
        "name": p.name,
        "door": p.door,
        "entered_utc": p.entered_utc,
        "unsure": p.unsure,
        "key": p.key,
        "marked": marked,
    }


# (person key, time, direction, name, door): one PASS, from either source.
_Pass = tuple[str, str, str, str | None, str, int]  # key, time, direction, name, door, seq


def roll_call(
    store: RecordStore,
    kiosk: str,
    zone: ZoneInfo,
    now: float,
    *,
    assume_left_after: float,
    ledger: PeerLedger | None = None,
    keys: VenueKeys | None = None,
    marks: MarkBook | None = None,
) -> RollCall:
    """Today's PASSes (the venue's day) at this door and every door heard from: each person's
    latest decides; entries without a later exit are inside. A person is matched across
    doors by the keyed tag of their subject (the anti-passback's), so an entry at one door
    and an exit at another cancel out. A guard's mark made after a person's entry, at any
    door, says they are accounted for. Sorted by entry time, oldest first."""
    since = start_of_day(now, zone)
    passes: list[_Pass] = []
    for rid, seq, direction, verdict, created, subject, name in store.brief_since(since):
        if verdict != "PASS":
            continue
        passes.append((_key(rid, subject, keys), created, direction, name, kiosk, seq))
    doors: dict[str, str | None] = {kiosk: utc_iso(now)}
    heard: dict[str, str | None] = {}
    if ledger is not None:
        heard.update(ledger.heard())
        for r in ledger.records(since):
            latest = doors.get(r.kiosk)
            doors[r.kiosk] = r.time if latest is None or r.time > latest else latest
            if r.verdict.value == "PASS":
                key = f"tag:{r.tag}" if r.tag else f"record:{r.id}"
                passes.append((key, r.time, r.direction.value, r.name, r.kiosk, r.seq))
    latest_by_key: dict[str, _Pass] = {}
    for p in sorted(passes, key=lambda p: (p[1], p[2] == "exit")):  # an exit at the same ms last
        latest_by_key[p[0]] = p
    cutoff = now - assume_left_after * 3600
    marked: dict[str, list[Mark]] = {}
    for m in marks.since(since) if marks is not None else []:
        marked.setdefault(m.person, []).append(m)
    inside = [
        Inside(
            name,
            door,
            created,
            parse_iso(created) < cutoff or key.startswith("record:"),
            key,
            next((m for m in marked.get(key, []) if m.time >= created), None),
        )
        for key, created, direction, name, door, _ in latest_by_key.values()
        if direction == "entry"
    ]
    # Two entries in one millisecond at one door are listed in the order the door recorded them.
    seqs = {p[0]: p[5] for p in latest_by_key.values()}
    inside.sort(key=lambda p: (p.entered_utc, p.door, seqs.get(p.key, 0)))
    for door in heard:
        doors.setdefault(door, None)  # answered, but no record of it today
    return RollCall(
        utc_iso(now), kiosk, inside, dict(sorted(doors.items())), dict(sorted(heard.items()))
    )


def _key(record_id: str, subject: str | None, keys: VenueKeys | None) -> str:
    """Who a record is of, comparable with the peers' records: the subject's keyed tag. A
    record without a subject, or with a sealed ID number (new each time), is its own person."""
    if subject is None or subject.startswith(SubjectKind.SEALED.value + ":"):
        return f"record:{record_id}"
    if keys is None:
        return f"subject:{subject}"
    return f"tag:{keys.tag(subject)}"
