"""Venue policy: every FAIL reason, the order of checks, and what may be shown publicly."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from checkin_protocol.reasons import Reason
from checkin_protocol.records import Direction, Subject
from kiosk.config import OpeningHours, PolicyConfig
from kiosk.config.yamlfile import ConfigError
from kiosk.passes.model import CodeKind, PersonalCode
from kiosk.policy.denylist import DenyList
from kiosk.policy.engine import VenuePolicy, Verdict, is_open

NOW = 1_800_000_000.0  # 2027-01-15, a Friday, 15:00 in Ho Chi Minh City
TZ = "Asia/Ho_Chi_Minh"
PASS_SUBJECT = Subject.parse("pass:" + "ab" * 16)
PASS = PersonalCode(
    kind=CodeKind.SIGNED_PASS,
    verified=True,
    subject=PASS_SUBJECT,
    masked_name="Nguyễn V** A",
    birth_year=1990,
    category="staff",
    issued_at=int(NOW) - 86400,
    expires_at=int(NOW) + 86400,
    declared_at=int(NOW) - 3600,
)
CCCD_SUBJECT = Subject.parse("idh:00")  # as an old kiosk hashed it
CCCD = PersonalCode(kind=CodeKind.CCCD, verified=False, subject=CCCD_SUBJECT, masked_name="Lê B")


def policy(
    direction: Direction = Direction.ENTRY, deny: dict[Subject, str] | None = None, **cfg: Any
) -> VenuePolicy:
    cfg.setdefault("admit_kinds", [CodeKind.SIGNED_PASS, CodeKind.CCCD])
    return VenuePolicy(PolicyConfig(**cfg), direction, TZ, DenyList(deny))


def reason(
    p: VenuePolicy, code: PersonalCode, now: float = NOW, occupancy: int = 0
) -> Reason | None:
    d = p.decide(code, now, occupancy)
    assert (d.verdict is Verdict.PASS) == (d.reason is None)
    return d.reason


def test_valid_pass_and_identity_code_pass() -> None:
    assert reason(policy(), PASS) is None
    d = policy().decide(CCCD, NOW, 0)
    assert d.verdict is Verdict.PASS and d.code is CCCD and not d.code.verified


def test_kind_not_admitted() -> None:
    assert reason(policy(admit_kinds=[CodeKind.SIGNED_PASS]), CCCD) is Reason.KIND_NOT_ADMITTED


def test_expiry_with_clock_skew() -> None:
    p = policy(clock_skew="5m")
    expired = replace(PASS, expires_at=int(NOW) - 200)
    assert reason(p, expired) is None  # within the skew
    assert reason(p, replace(PASS, expires_at=int(NOW) - 301)) is Reason.EXPIRED
    assert reason(policy(clock_skew="0s"), replace(PASS, expires_at=int(NOW))) is Reason.EXPIRED


def test_not_yet_valid_with_clock_skew() -> None:
    p = policy(clock_skew="60s")
    assert reason(p, replace(PASS, not_before=int(NOW) + 30)) is None
    assert reason(p, replace(PASS, not_before=int(NOW) + 61)) is Reason.NOT_YET_VALID


def test_categories() -> None:
    p = policy(admit_categories=["staff"])
    assert reason(p, PASS) is None
    assert reason(p, replace(PASS, category="visitor")) is Reason.CATEGORY_NOT_ADMITTED
    assert reason(p, replace(PASS, category=None)) is Reason.CATEGORY_NOT_ADMITTED


def test_declaration_age_is_private() -> None:
    p = policy(max_declaration_age="7d", clock_skew="0s")
    assert reason(p, PASS) is None
    too_old = replace(PASS, declared_at=int(NOW) - 8 * 86400)
    assert reason(p, too_old) is Reason.DECLARATION_TOO_OLD
    assert reason(p, replace(PASS, declared_at=None)) is Reason.DECLARATION_MISSING
    # Health status is never shown on the public screen.
    assert not Reason.DECLARATION_TOO_OLD.public and not Reason.DECLARATION_MISSING.public
    assert Reason.EXPIRED.public


def test_deny_list_wins_over_everything() -> None:
    p = policy(deny={PASS_SUBJECT: "barred"}, admit_kinds=[CodeKind.CCCD])
    d = p.decide(PASS, NOW, 0)
    assert d.reason is Reason.DENIED and d.detail == "barred"
    assert not Reason.DENIED.public
    assert reason(policy(deny={CCCD_SUBJECT: "x"}), CCCD) is Reason.DENIED


def test_opening_hours() -> None:
    hours = [OpeningHours(days=["mon", "tue", "wed", "thu", "fri"], open=time(7), close=time(19))]
    p = policy(opening_hours=hours)
    assert reason(p, PASS) is None  # Friday 15:00
    assert reason(p, PASS, now=NOW + 5 * 3600) is Reason.CLOSED  # Friday 20:00
    assert reason(p, PASS, now=NOW + 86400) is Reason.CLOSED  # Saturday 15:00


def test_overnight_hours_belong_to_the_opening_day() -> None:
    tz = ZoneInfo(TZ)
    night = [OpeningHours(days=["fri"], open=time(22), close=time(6))]
    assert is_open(night, datetime(2027, 1, 15, 23, 0, tzinfo=tz))  # Friday night
    assert is_open(night, datetime(2027, 1, 16, 5, 59, tzinfo=tz))  # Saturday early morning
    assert not is_open(night, datetime(2027, 1, 16, 6, 0, tzinfo=tz))
    assert not is_open(night, datetime(2027, 1, 15, 5, 0, tzinfo=tz))  # Friday early: Thursday's


def test_days_range_syntax() -> None:
    assert OpeningHours(days="fri-mon", open=time(8), close=time(9)).days == [
        "fri",
        "sat",
        "sun",
        "mon",
    ]


def test_occupancy() -> None:
    p = policy(max_occupancy=10)
    assert reason(p, PASS, occupancy=9) is None
    assert reason(p, PASS, occupancy=10) is Reason.FULL


def test_exit_door_records_everyone_out_by_default() -> None:
    p = policy(
        Direction.EXIT, deny={PASS_SUBJECT: "x"}, max_occupancy=1, admit_kinds=[CodeKind.CCCD]
    )
    assert reason(p, replace(PASS, expires_at=1), occupancy=50) is None


def test_exit_door_with_full_checks() -> None:
    p = policy(Direction.EXIT, exit_checks="full", max_occupancy=1)
    assert reason(p, replace(PASS, expires_at=1)) is Reason.EXPIRED
    assert reason(p, PASS, occupancy=50) is None  # occupancy limits entries only


def test_every_reason_has_both_languages() -> None:
    from kiosk.display.messages import Messages

    for lang in ("vi", "en"):
        t = Messages(lang)
        for r in Reason:
            assert t.has(f"reason.{r.value}") and t.has(f"hint.{r.value}"), r


def test_deny_list_file(tmp_path: Path) -> None:
    path = tmp_path / "deny.yaml"
    path.write_text(
        f"- pass_id: {'AB' * 16}\n  reason: lost\n"
        "- qid: Q8F3K2M9\n  reason: barred\n"
        "- id_number: '001090012345'\n  reason: court order\n"
        "- subject: idh:0011\n  reason: copied from an export\n",
        encoding="utf-8",
    )
    deny = DenyList.load(path)
    assert deny.reason_for(Subject.parse("pass:" + "ab" * 16), NOW) == "lost"
    assert deny.reason_for(Subject.parse("qid:Q8F3K2M9"), NOW) == "barred"
    assert deny.reason_for_id("001090012345", NOW) == "court order"
    assert deny.reason_for_id("００１０９００１２３４５\n", NOW) == "court order"
    assert deny.reason_for_id("001090012346", NOW) is None
    assert deny.reason_for(Subject.parse("idh:0011"), NOW) == "copied from an export"
    assert len(deny) == 4


def test_deny_entry_needs_exactly_one_subject(tmp_path: Path) -> None:
    path = tmp_path / "deny.yaml"
    path.write_text(
        "- qid: Q8F3K2M9\n  pass_id: " + "ab" * 16 + "\n  reason: x\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as exc:
        DenyList.load(path)
    assert "exactly one" in str(exc.value) and f"{path}:1:" in str(exc.value)
