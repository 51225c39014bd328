"""Decides PASS or FAIL for a recognised code under the venue's configuration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from checkin_protocol.reasons import Reason
from checkin_protocol.records import CodeKind, Direction, Verdict
from kiosk.config import OpeningHours, PolicyConfig
from kiosk.passes import CodeRejected, PersonalCode
from kiosk.policy.dcc_rules import dcc_failure
from kiosk.policy.denylist import DenyList

Failure = tuple[Reason, str]
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: Reason | None
    code: PersonalCode | None
    detail: str = ""
    kind: CodeKind | None = None  # for a rejected code whose format was recognised

    @property
    def code_kind(self) -> CodeKind:
        kind = self.code.kind if self.code else self.kind
        return kind or CodeKind.UNKNOWN


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
        # Anti-passback (kiosk.peers.passback): set by the kiosk when the venue asks for it.
        self.passback: Callable[[PersonalCode, float], Failure | None] | None = None
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
        # In this order: the kiosk's own data, the deny list (always wins), the code itself,
        # then the venue's rules for entering.
        checks = (
            self._lists,
            self._denied,
            self._validity,
            self._dcc,
            self._declaration,
            self._door,
        )
        for check in checks:
            failed = check(code, now, occupancy)
            if failed is not None:
                reason, detail = failed
                return Decision(Verdict.FAIL, reason, code, detail)
        if self._expired(code, now):  # only an identity card the venue lets in expired
            return Decision(Verdict.PASS, None, code, f"ID card expired at {code.expires_at}")
        return Decision(Verdict.PASS, None, code)

    def _expired(self, code: PersonalCode, now: float) -> bool:
        return code.expires_at is not None and now - self._cfg.clock_skew >= code.expires_at

    def _warns_on_expiry(self, code: PersonalCode) -> bool:
        identity = code.kind in (CodeKind.CCCD, CodeKind.NATIONAL_QR)
        return identity and self._cfg.identity.expired_cards == "warn"

    def _lists(self, code: PersonalCode, now: float, occupancy: int) -> Failure | None:
        max_age = self._cfg.max_list_age
        if max_age is None or self._cfg.stale_lists != "refuse":
            return None
        # The EU verifier apps' rule: no PASS on a revocation list older than allowed.
        age = self._list_age(now) if self._list_age else None
        if age is None or age > max_age:
            return Reason.LISTS_STALE, "never fetched" if age is None else f"{age:.0f} s old"
        return None

    def _denied(self, code: PersonalCode, now: float, occupancy: int) -> Failure | None:
        if code.dcc is not None:
            revoked = self._deny.reason_for_dcc(code.dcc, now)
            if revoked is not None:
                return Reason.REVOKED, revoked
        denied = self._deny.reason_for(code.subject, now) if code.subject else None
        if denied is None and code.id_number is not None:
            # The one scrypt derivation of this scan (~25 ms here, ~100 ms on a Pi 4).
            denied = self._deny.reason_for_id(code.id_number.reveal(), now)
        return (Reason.DENIED, denied) if denied is not None else None

    def _validity(self, code: PersonalCode, now: float, occupancy: int) -> Failure | None:
        if code.kind not in self._kinds:
            return Reason.KIND_NOT_ADMITTED, f"{code.kind.value} is not admitted here"
        skew = self._cfg.clock_skew
        if code.not_before is not None and now + skew < code.not_before:
            return Reason.NOT_YET_VALID, f"valid from {code.not_before}"
        if self._expired(code, now) and not self._warns_on_expiry(code):
            return Reason.EXPIRED, f"expired at {code.expires_at}"
        if self._categories is not None and code.category not in self._categories:
            return Reason.CATEGORY_NOT_ADMITTED, f"category {code.category!r}"
        return None

    def _dcc(self, code: PersonalCode, now: float, occupancy: int) -> Failure | None:
        rules = self._cfg.dcc
        # Without a policy.dcc block a DCC is judged on its technical checks only (read).
        if rules is None or code.dcc is None:
            return None
        return dcc_failure(rules, code.dcc, now, self._tz)

    def _declaration(self, code: PersonalCode, now: float, occupancy: int) -> Failure | None:
        max_decl = self._cfg.max_declaration_age
        # Identity codes carry no declaration: a venue that admits them accepts that.
        if max_decl is None or code.kind is not CodeKind.SIGNED_PASS:
            return None
        if code.declared_at is None:
            return Reason.DECLARATION_MISSING, "no health declaration on the code"
        if now - code.declared_at > max_decl + self._cfg.clock_skew:
            return Reason.DECLARATION_TOO_OLD, f"declared at {code.declared_at}"
        return None

    def _door(self, code: PersonalCode, now: float, occupancy: int) -> Failure | None:
        if self.direction is not Direction.ENTRY:
            return None
        hours = self._cfg.opening_hours
        if hours is not None and not is_open(hours, datetime.fromtimestamp(now, self._tz)):
            return Reason.CLOSED, "outside opening hours"
        limit = self._cfg.max_occupancy
        if limit is not None and occupancy >= limit:
            return Reason.FULL, f"occupancy {occupancy} of {limit}"
        return self.passback(code, now) if self.passback is not None else None


__all__ = ["CodeKind", "Decision", "VenuePolicy", "Verdict", "is_open"]
