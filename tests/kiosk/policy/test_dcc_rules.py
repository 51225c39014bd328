"""The venue's DCC rules (policy.dcc) and DCC revocation, on real signed certificates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from checkin_protocol.dcc import HashType
from checkin_protocol.dcc_trust import read_dsc
from checkin_protocol.documents import ListDocument
from checkin_protocol.keys import TrustStore
from checkin_protocol.reasons import Reason
from checkin_protocol.records import CodeKind, Direction
from kiosk.config import PolicyConfig
from kiosk.config.yamlfile import ConfigError
from kiosk.passes import CodeReader, DccSigners, PersonalCode
from kiosk.policy.denylist import DenyList, RemoteDeny
from kiosk.policy.engine import VenuePolicy
from support.dcc_cases import DAY, NOW, entry, good_parts, issue, make_signer

SIGNER = make_signer("ES256")
READER = CodeReader(trust=TrustStore([]), dcc_signers=DccSigners([read_dsc(SIGNER.der, now=0)]))


def code(kind: str = "v", **changes: Any) -> PersonalCode:
    parts = good_parts(SIGNER, kind)
    parts.dcc[kind] = [{**entry(kind), **changes}]
    return READER.read(issue(SIGNER, parts).encode(), NOW)


def decide(c: PersonalCode, deny: DenyList | None = None, **dcc: object) -> Reason | None:
    cfg = PolicyConfig(admit_kinds=[CodeKind.DCC], dcc=dcc if dcc else None)
    policy = VenuePolicy(cfg, Direction.ENTRY, "UTC", deny or DenyList())
    return policy.decide(c, NOW, 0).reason


def iso_days_ago(days: float) -> str:
    return datetime.fromtimestamp(NOW - days * DAY, UTC).strftime("%Y-%m-%d")


def test_without_rules_only_technical_checks_apply() -> None:
    # An incomplete course, an old positive test: no policy.dcc block, no health judgement.
    assert decide(code("v", dn=1, sd=2)) is None
    assert decide(code("t", tr="260373001")) is None
    assert decide(code("r")) is None


def test_vaccination_rules() -> None:
    recent = iso_days_ago(3)
    assert decide(code("v", dn=1, sd=2), accept=["vaccination"]) is Reason.VACCINATION_INCOMPLETE
    rules: dict[str, Any] = {"vaccination": {"min_days": 14, "max_days": 270}}
    assert decide(code("v", dt=recent), **rules) is Reason.VACCINATION_TOO_RECENT
    assert decide(code("v", dt=iso_days_ago(300)), **rules) is Reason.VACCINATION_TOO_OLD
    assert decide(code("v", dt=iso_days_ago(30)), **rules) is None
    products: dict[str, Any] = {"vaccination": {"products": ["EU/1/20/1507"]}}
    assert decide(code("v"), **products) is Reason.PRODUCT_NOT_ACCEPTED
    assert decide(code("v", dt="yesterday"), **rules) is Reason.MALFORMED


def test_test_rules() -> None:
    def hours_ago(h: float) -> str:
        return datetime.fromtimestamp(NOW - h * 3600, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    fresh = hours_ago(5)
    assert decide(code("t", sc=fresh), test={"max_hours": 24}) is None
    assert decide(code("t", sc=hours_ago(30)), test={"max_hours": 24}) is Reason.TEST_TOO_OLD
    assert decide(code("t", sc=hours_ago(-5)), test={"max_hours": 24}) is Reason.TEST_TOO_OLD
    assert decide(code("t", sc=fresh, tr="260373001"), accept=["test"]) is Reason.TEST_POSITIVE
    naat_only: dict[str, Any] = {"test": {"types": ["NAAT"]}}
    assert (
        decide(code("t", sc=fresh, tt="LP217198-3"), **naat_only) is Reason.TEST_TYPE_NOT_ACCEPTED
    )
    assert decide(code("t", sc="soon"), accept=["test"]) is Reason.MALFORMED
    assert decide(code("t"), accept=["vaccination"]) is Reason.DCC_TYPE_NOT_ACCEPTED


def test_recovery_window() -> None:
    inside = {"df": iso_days_ago(10), "du": iso_days_ago(-10)}
    assert decide(code("r", **inside), accept=["recovery"]) is None
    assert decide(code("r"), accept=["recovery"]) is Reason.RECOVERY_NOT_VALID  # 2021
    assert decide(code("r"), recovery_window=False) is None


def test_every_rule_reason_is_private() -> None:
    for r in (
        Reason.REVOKED,
        Reason.DCC_EXPIRED,
        Reason.VACCINATION_INCOMPLETE,
        Reason.TEST_TOO_OLD,
    ):
        assert not r.public
    assert Reason.KEY_USAGE.public


@pytest.mark.parametrize("kind", list(HashType))
def test_revoked_by_each_hash_type(kind: HashType, tmp_path: Path) -> None:
    c = code("v")
    assert c.dcc is not None
    value = c.dcc.uvci_hash(kind)
    path = tmp_path / "deny.yaml"
    path.write_text(f"- dcc_hash: '{value}'\n  hash_type: {kind.value}\n  reason: revoked\n")
    assert decide(c, DenyList.load(path)) is Reason.REVOKED
    remote = DenyList()
    doc = ListDocument("deny-list", 1, 0, 2**40, [], "")
    doc.entries.append({"dcc_hash": value, "hash_type": kind.value, "expires": NOW + 10})
    remote.set_remote(RemoteDeny.from_document(doc))
    assert decide(c, remote) is Reason.REVOKED and len(remote) == 1
    assert decide(code("t"), remote) is None


def test_deny_file_refuses_a_bad_hash(tmp_path: Path) -> None:
    path = tmp_path / "deny.yaml"
    path.write_text("- dcc_hash: 'not base64'\n  reason: x\n")
    with pytest.raises(ConfigError) as info:
        DenyList.load(path)
    assert "deny.yaml:1" in str(info.value.issues[0])


def test_rules_config_bounds() -> None:
    with pytest.raises(ValueError, match="max_days"):
        PolicyConfig(dcc={"vaccination": {"min_days": 30, "max_days": 10}})
    with pytest.raises(ValueError, match="NAAT"):
        PolicyConfig(dcc={"test": {"types": ["PCR"]}})


ZONES = ["Asia/Ho_Chi_Minh", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Berlin", "UTC"]


@given(
    zone=st.sampled_from(ZONES),
    day=st.integers(0, 60),
    seconds=st.integers(0, DAY - 1),
)
def test_days_are_counted_in_the_venues_time_zone(zone: str, day: int, seconds: int) -> None:
    tz = ZoneInfo(zone)
    dose = datetime.fromtimestamp(NOW, tz).date()
    first = datetime.combine(dose, datetime.min.time(), tz).timestamp()
    at = first + day * DAY + seconds  # `day` local days after the dose's local midnight
    assume(datetime.fromtimestamp(at, tz).date() == dose + timedelta(days=day))  # DST days
    cfg = PolicyConfig(
        admit_kinds=[CodeKind.DCC], dcc={"vaccination": {"min_days": 14, "max_days": 30}}
    )
    vaccinated = code("v", dt=dose.isoformat())
    got = VenuePolicy(cfg, Direction.ENTRY, zone, DenyList()).decide(vaccinated, at, 0).reason
    want = (
        Reason.VACCINATION_TOO_RECENT
        if day < 14
        else Reason.VACCINATION_TOO_OLD
        if day > 30
        else None
    )
    assert got is want
    window = code(
        "r", df=(dose + timedelta(days=10)).isoformat(), du=(dose + timedelta(days=20)).isoformat()
    )
    cfg = PolicyConfig(admit_kinds=[CodeKind.DCC], dcc={"accept": ["recovery"]})
    got = VenuePolicy(cfg, Direction.ENTRY, zone, DenyList()).decide(window, at, 0).reason
    assert got is (None if 10 <= day <= 20 else Reason.RECOVERY_NOT_VALID)


def test_a_sample_in_the_future_is_said_to_be_in_the_future() -> None:
    sampled = datetime.fromtimestamp(NOW + 3 * 3600, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    cfg = PolicyConfig(admit_kinds=[CodeKind.DCC], dcc={"test": {"max_hours": 24}})
    decision = VenuePolicy(cfg, Direction.ENTRY, "UTC", DenyList()).decide(
        code("t", sc=sampled), NOW, 0
    )
    assert decision.reason is Reason.TEST_TOO_OLD
    assert decision.detail == "sample collected in the future (3 h ahead)"


def test_a_time_whose_local_date_is_past_9999_is_judged_on_the_utc_date() -> None:
    from kiosk.config import DccRules
    from kiosk.policy.dcc_rules import dcc_failure

    cert = code("v").dcc
    assert cert is not None
    last = datetime(9999, 12, 31, 23, 0, tzinfo=UTC).timestamp()  # 10000-01-01 in Kiritimati
    rules = DccRules.model_validate({"vaccination": {"min_days": 14}})
    assert dcc_failure(rules, cert, last, ZoneInfo("Pacific/Kiritimati")) is None
