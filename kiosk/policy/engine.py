"""Decides PASS or FAIL for a recognised code under the venue's configuration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from kiosk.config import Direction, OpeningHours, PolicyConfig
from kiosk.passes import CodeRejected, PersonalCode
from kiosk.passes.model import CodeKind
from kiosk.policy.denylist import DenyList
from kiosk.policy.reasons import Reason

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Verdict(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: Reason | None
    code: PersonalCode | None
    detail: str = ""
    kind: CodeKind | None = None  # for a rejected code whose format was recognised

    @property
    def code_kind(self) -> str:
        kind = self.code.kind if self.code else self.kind
        return kind.value if kind else "unknown"


def is_open(hours: list[OpeningHours], local: datetime) -> bool:
    t = local.time()
    today = _WEEKDAYS[local.weekday()]
    yesterday = _WEEKDAYS[(local - timedelta(days=1)).weekday()]
    for rule in hours:
        if rule.open < rule.close:
            if today in rule.days and rule.open <= t < rule.close:
                return True
        else:  # past midnight: the hours after midnight belong to the day it opened
            if today in rule.days and t >= rule.open:
                return True
            if yesterday in rule.days and t < rule.close:
                return True
    return False


class VenuePolicy:
    def __init__(
        self,
        cfg: PolicyConfig,
        direction: Direction,
        timezone: str,
        deny: DenyList,
        list_age: Callable[[float], float | None] | None = None,
    ) -> None:
        self._list_age = list_age
        self._cfg = cfg
        self.direction = direction  # the guard can switch a door between entry and exit
        self._tz = ZoneInfo(timezone)
        self._deny = deny
        self._kinds = frozenset(cfg.admit_kinds)
        self._categories = frozenset(cfg.admit_categories) if cfg.admit_categories else None

    @property
    def timezone(self) -> ZoneInfo:
        return self._tz

    def rejected(self, err: CodeRejected) -> Decision:
        return Decision(Verdict.FAIL, err.reason, None, err.detail, err.kind)

    def decide(self, code: PersonalCode, now: float, occupancy: int) -> Decision:
        """`now` is UTC epoch seconds; `occupancy` is entries minus exits today."""
        if self.direction is Direction.EXIT and self._cfg.exit_checks == "record_only":
            # Nobody is kept in: an exit door records who left, whatever their code says.
            return Decision(Verdict.PASS, None, code)

        def fail(reason: Reason, detail: str) -> Decision:
            return Decision(Verdict.FAIL, reason, code, detail)

        max_age = self._cfg.max_list_age
        if max_age is not None and self._cfg.stale_lists == "refuse":
            # The EU verifier apps' rule: no PASS on a revocation list older than allowed.
            age = self._list_age(now) if self._list_age else None
            if age is None or age > max_age:
                return fail(
                    Reason.LISTS_STALE, "never fetched" if age is None else f"{age:.0f} s old"
                )
        denied = self._deny.reason_for(code.subject)
        if denied is not None:  # checked first: a deny list always wins
            return fail(Reason.DENIED, denied)
        if code.kind not in self._kinds:
            return fail(Reason.KIND_NOT_ADMITTED, f"{code.kind.value} is not admitted here")
        skew = self._cfg.clock_skew
        if code.not_before is not None and now + skew < code.not_before:
            return fail(Reason.NOT_YET_VALID, f"valid from {code.not_before}")
        if code.expires_at is not None and now - skew >= code.expires_at:
            return fail(Reason.EXPIRED, f"expired at {code.expires_at}")
        if self._categories is not None and code.category not in self._categories:
            return fail(Reason.CATEGORY_NOT_ADMITTED, f"category {code.category!r}")
        max_decl = self._cfg.max_declaration_age
        # Identity codes carry no declaration: a venue that admits them accepts that.
        if max_decl is not None and code.kind is CodeKind.SIGNED_PASS:
            if code.declared_at is None:
                return fail(Reason.DECLARATION_MISSING, "no health declaration on the code")
            if now - code.declared_at > max_decl + skew:
                return fail(Reason.DECLARATION_TOO_OLD, f"declared at {code.declared_at}")
        if self.direction is Direction.ENTRY:
            hours = self._cfg.opening_hours
            if hours is not None and not is_open(hours, datetime.fromtimestamp(now, self._tz)):
                return fail(Reason.CLOSED, "outside opening hours")
            limit = self._cfg.max_occupancy
            if limit is not None and occupancy >= limit:
                return fail(Reason.FULL, f"occupancy {occupancy} of {limit}")
        return Decision(Verdict.PASS, None, code)


__all__ = ["CodeKind", "Decision", "VenuePolicy", "Verdict", "is_open"]
