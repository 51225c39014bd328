"""Who is admitted, when: kinds, categories, opening hours, DCC rules, anti-passback."""

from __future__ import annotations

import difflib
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    model_validator,
)

from checkin_protocol.records import CodeKind
from kiosk.config.base import (
    Clock,
    Duration,
    Label,
    Strict,
)
from kiosk.config.rollcall import RollCallConfig

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _parse_days(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip().lower()
        if "-" in value:
            start, _, end = value.partition("-")
            if start not in _DAYS or end not in _DAYS:
                raise ValueError(f"days range must be like 'mon-fri', got {value!r}")
            i, j = _DAYS.index(start), _DAYS.index(end)
            return [_DAYS[k % 7] for k in range(i, i + ((j - i) % 7) + 1)]
        return [value]
    return value


class OpeningHours(Strict):
    days: Annotated[
        list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]],
        BeforeValidator(_parse_days),
        Field(min_length=1),
    ] = Field(description="'mon-fri', 'sat', or a list of day names.")
    open: Clock = Field(description="Opening time, HH:MM, venue time zone.")
    close: Clock = Field(description="Closing time, HH:MM; before `open` means past midnight.")


SCANNABLE = tuple(k.value for k in CodeKind if k not in (CodeKind.MANUAL, CodeKind.UNKNOWN))


def _scannable_kind(value: Any) -> Any:
    """A code kind a door can scan: `manual` and `unknown` are what a record says, not formats
    a venue can admit, so they are neither accepted nor offered."""
    if isinstance(value, str) and value not in SCANNABLE:
        known = ", ".join(SCANNABLE)
        if value in (CodeKind.MANUAL.value, CodeKind.UNKNOWN.value):
            raise ValueError(f"{value} is not a code format; use one of {known}")
        close = difflib.get_close_matches(value, SCANNABLE, n=1, cutoff=0.6)
        hint = f" — did you mean {close[0]}?" if close else ""
        raise ValueError(f"{value!r} is not one of {known}{hint}")
    return value


TestType = Literal["NAAT", "RAT"]
TEST_TYPES: tuple[TestType, ...] = ("NAAT", "RAT")
DccType = Literal["vaccination", "test", "recovery"]
DCC_TYPES: tuple[DccType, ...] = ("vaccination", "test", "recovery")


class DccVaccinationRules(Strict):
    complete_course: bool = Field(
        True, description="Require the last dose of the course: dose number dn >= total sd."
    )
    min_days: int = Field(
        0, ge=0, le=3650, description="Days that must have passed since the last dose (dt)."
    )
    max_days: int | None = Field(
        None, ge=1, le=3650, description="Days after the last dose that it stops counting."
    )
    products: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        None, description="Accepted vaccine products (mp, e.g. EU/1/20/1528); absent = all."
    )

    @model_validator(mode="after")
    def _window(self) -> DccVaccinationRules:
        if self.max_days is not None and self.max_days < self.min_days:
            raise ValueError("max_days is before min_days")
        return self


class DccTestRules(Strict):
    types: list[TestType] = Field(
        default_factory=lambda: list(TEST_TYPES),
        min_length=1,
        description="Accepted test types: NAAT (PCR, LP6464-4), RAT (rapid antigen, LP217198-3).",
    )
    max_hours: float = Field(
        72, gt=0, le=24 * 30, description="Hours after sample collection (sc) a test counts."
    )


class DccRules(Strict):
    """The venue's health rules for DCCs; without this block only technical checks apply."""

    accept: list[DccType] = Field(
        default_factory=lambda: list(DCC_TYPES),
        min_length=1,
        description="Certificate types accepted.",
    )
    vaccination: DccVaccinationRules = Field(
        default_factory=DccVaccinationRules, description="Rules for vaccination certificates."
    )
    test: DccTestRules = Field(
        default_factory=DccTestRules,
        description="Rules for test certificates; the result must be 'not detected'.",
    )
    recovery_window: bool = Field(
        True, description="Admit recovery certificates only from df to du (their own window)."
    )


ScannableKind = Annotated[CodeKind, BeforeValidator(_scannable_kind)]


class IdentityRules(Strict):
    """How the venue treats identity codes (national QR, chip ID card) beyond reading them."""

    expired_cards: Literal["refuse", "warn"] = Field(
        "refuse",
        description="A chip ID card whose QR carries an expiry that has passed (2024 cards): "
        "refuse it (FAIL, expired), or warn (PASS, the expiry logged for the guard).",
    )


class AntiPassbackConfig(Strict):
    """A pass already inside cannot enter again, at any door of the venue, until it exits
    (until_exit) or for `minutes` after its entry (minutes). Other doors' records come from
    the LAN peers (`peers:`); alone, a kiosk applies it to its own records."""

    mode: Literal["until_exit", "minutes"] = Field(
        description="until_exit: refused until an exit is recorded; minutes: for `minutes` "
        "after the entry (or until an exit, if sooner)."
    )
    minutes: int | None = Field(
        None, ge=1, le=24 * 60, description="With mode: minutes, how long an entry blocks."
    )

    @model_validator(mode="after")
    def _minutes_with_mode(self) -> AntiPassbackConfig:
        if (self.mode == "minutes") != (self.minutes is not None):
            raise ValueError("minutes is set exactly when mode is minutes")
        return self


class PolicyConfig(Strict):
    admit_kinds: list[ScannableKind] = Field(
        default_factory=lambda: [CodeKind.SIGNED_PASS],
        min_length=1,
        description="Code kinds admitted. national_qr and cccd are identity codes (unsigned); "
        "dcc is the EU Digital COVID Certificate.",
    )
    dcc: DccRules | None = Field(
        None,
        description="Health rules for DCCs; absent = only the technical checks (signed by a "
        "trusted DSC, valid now, key usage).",
    )
    identity: IdentityRules = Field(
        default_factory=IdentityRules,
        description="Rules for identity codes: what an expired ID card gets.",
    )
    admit_categories: list[Label] | None = Field(
        None,
        description="Signed-pass categories admitted (e.g. staff, visitor); absent = all. Only "
        "signed passes carry a category: set it only when admit_kinds is [signed_pass].",
    )
    clock_skew: Duration = Field(300.0, ge=0, le=3600, description="Tolerance for pass times.")
    max_declaration_age: Duration | None = Field(
        None,
        gt=0,
        le=3650 * 86400,
        description="Refuse passes whose last health declaration is older.",
    )
    opening_hours: list[OpeningHours] | None = Field(
        None, description="When entries are admitted; absent = always."
    )
    max_occupancy: int | None = Field(
        None,
        ge=1,
        le=1_000_000,
        description="Entries minus exits today at every door of the venue, as far as this "
        "kiosk knows (the registry's count, its own and its LAN peers' records).",
    )
    max_list_age: Duration | None = Field(
        None,
        gt=0,
        le=365 * 86400,
        description="Trust and deny lists older than this are stale (needs registry).",
    )
    stale_lists: Literal["warn", "refuse"] = Field(
        "warn", description="With stale lists: warn (log, status) or refuse to PASS."
    )
    anti_passback: AntiPassbackConfig | None = Field(
        None, description="Refuse a second entry of a pass that has not left; absent = off."
    )
    roll_call: RollCallConfig = Field(
        default_factory=RollCallConfig, description="Who is inside now (`kiosk roll-call`)."
    )
    exit_checks: Literal["record_only", "full"] = Field(
        "record_only",
        description="At an exit door: record any recognised code and let people out "
        "(record_only), or apply every check (full).",
    )
