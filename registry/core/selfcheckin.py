"""Self check-in by phone: one state per pass and venue (inside or not, since when), apart
from the doors' counts, and the proof that the phone holds the pass it shows."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from registry.core.common import Database
from registry.core.declarations import device_hash
from registry.db.models import IssuedPass, SelfCheckin


class Step(StrEnum):
    RECORDED = "recorded"
    ALREADY_INSIDE = "already_inside"  # an entry while the pass is in: nothing new
    NOT_INSIDE = "not_inside"  # an exit with no entry to end
    TOO_SOON = "too_soon"  # an entry within the cooldown after an exit


@dataclass(frozen=True)
class Outcome:
    step: Step
    at_ms: int  # recorded: now; already inside: its entry; too soon: when it may


class SelfCheckins:
    def __init__(self, db: Database, cooldown_ms: int) -> None:
        self.db = db
        self.cooldown_ms = cooldown_ms

    def holds(self, pass_id: str, device_secret: str) -> bool:
        """Whether `device_secret` is that of the device the pass was declared on: what a
        photo of someone's QR does not carry."""
        with self.db.session() as s:
            found = s.get(IssuedPass, pass_id)
        return (
            found is not None
            and found.device_hash is not None
            and hmac.compare_digest(found.device_hash, device_hash(device_secret))
        )

    def step(
        self,
        venue_id: str,
        pass_id: str,
        direction: str,
        *,
        admitted: bool,
        now: int,
        day_start_ms: int,
    ) -> Outcome:
        """Move the pass's state at the venue, if the step is one to record.

        The same rules whatever `admitted` says (whether the deny list let the pass in): a
        phone's answers must not differ for a barred pass (see checkin_pages).
        """
        try:
            with self.db.session.begin() as s:
                row = s.get(SelfCheckin, (venue_id, pass_id), with_for_update=True)
                if direction == "exit":
                    if row is None or not row.inside:
                        return Outcome(Step.NOT_INSIDE, now)
                    row.inside, row.left_ms = False, now
                    return Outcome(Step.RECORDED, now)
                if row is not None and row.inside and row.entered_ms >= day_start_ms:
                    return Outcome(Step.ALREADY_INSIDE, row.entered_ms)
                if row is not None and row.left_ms is not None:
                    ready = row.left_ms + self.cooldown_ms
                    if now < ready:
                        return Outcome(Step.TOO_SOON, ready)
                if row is None:
                    s.add(
                        SelfCheckin(
                            venue_id=venue_id,
                            pass_id=pass_id,
                            inside=True,
                            admitted=admitted,
                            entered_ms=now,
                        )
                    )
                else:
                    row.inside, row.admitted, row.entered_ms = True, admitted, now
                    row.left_ms = None
                return Outcome(Step.RECORDED, now)
        except IntegrityError:
            # Two first entries of one pass at once: the other one was recorded.
            return Outcome(Step.ALREADY_INSIDE, now)


def phones_inside(db: Database, venue_id: str, day_start_ms: int) -> int:
    """Passes a phone checked in at the venue today, let in and not out again."""
    with db.session() as s:
        n = s.scalar(
            select(func.count())
            .select_from(SelfCheckin)
            .where(
                SelfCheckin.venue_id == venue_id,
                SelfCheckin.inside.is_(True),
                SelfCheckin.admitted.is_(True),
                SelfCheckin.entered_ms >= day_start_ms,
            )
        )
    return int(n or 0)
