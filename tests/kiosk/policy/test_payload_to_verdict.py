"""Every claim a code carries, from its encoded payload to the door's verdict and reason.

No hand-built PersonalCode here: each case is a payload as it is scanned, read by the
CodeReader and decided by the VenuePolicy, so a claim the reader drops on its way to the
policy (a pass's not-before, its category) or a check the policy skips fails a test.
"""

from __future__ import annotations

from typing import Any

import pytest

from checkin_protocol.documents import DENY_LIST, sign_document, verify_document
from checkin_protocol.keys import PrivateKey, TrustStore, generate_key
from checkin_protocol.kp1 import CWT_EXP, CWT_ISS, CWT_NBF, issue_pass
from checkin_protocol.reasons import Reason
from checkin_protocol.records import CodeKind, Direction, Subject, SubjectKind, Verdict
from checkin_protocol.sealing import IdKdf
from kiosk.config import PolicyConfig
from kiosk.passes import CodeReader, CodeRejected
from kiosk.policy.denylist import DenyList, RemoteDeny
from kiosk.policy.engine import Decision, VenuePolicy
from support.kp1_cases import assemble, good_parts

NOW = 1_800_000_000  # 2027-01-15 15:00 in Hồ Chí Minh City, a Friday
HOUR, DAY = 3600, 86400
KEY = generate_key("Ed25519")
STRANGER = generate_key("ES256")
LIST_KEY = generate_key()
KDF = IdKdf(b"payload to verdict", n=2**10)
PASS_ID = bytes.fromhex("ab" * 16)
SKEW = 300  # policy.clock_skew's default


def kp1(key: PrivateKey = KEY, **claims: Any) -> bytes:
    args: dict[str, Any] = {
        "issuer": "hq",
        "masked_name": "Nguyễn V** A",
        "issued_at": NOW - DAY,
        "valid_until": NOW + DAY,
        "birth_year": 1990,
        "category": "staff",
        "declared_at": NOW - HOUR,
        "pass_id": PASS_ID,
    }
    args.update(claims)
    return issue_pass(key, **args).encode()


def door(deny: DenyList | None = None, **policy: Any) -> tuple[CodeReader, VenuePolicy]:
    deny = deny or DenyList()
    policy.setdefault("admit_kinds", ["signed_pass", "national_qr", "cccd"])
    cfg = PolicyConfig.model_validate(policy)
    reader = CodeReader(TrustStore([KEY.public_key()]), sealing=deny)
    return reader, VenuePolicy(cfg, Direction.ENTRY, "Asia/Ho_Chi_Minh", deny)


def decide(
    payload: bytes, now: float = NOW, deny: DenyList | None = None, **policy: Any
) -> Decision:
    reader, venue = door(deny, **policy)
    try:
        code = reader.read(payload, now)
    except CodeRejected as err:
        return venue.rejected(err)
    return venue.decide(code, now, 0)


def verdict(payload: bytes, now: float = NOW, deny: DenyList | None = None, **policy: Any) -> Any:
    d = decide(payload, now, deny, **policy)
    return d.verdict, d.reason


PASSED = (Verdict.PASS, None)


def test_a_good_pass_carries_its_holder_to_the_decision() -> None:
    d = decide(kp1())
    assert (d.verdict, d.reason, d.code_kind) == (Verdict.PASS, None, CodeKind.SIGNED_PASS)
    assert d.code is not None and d.code.verified
    assert (d.code.masked_name, d.code.birth_year, d.code.category) == (
        "Nguyễn V** A",
        1990,
        "staff",
    )
    assert d.code.subject == Subject(SubjectKind.PASS, PASS_ID.hex())


def test_issuer() -> None:
    assert verdict(kp1(STRANGER)) == (Verdict.FAIL, Reason.UNKNOWN_ISSUER)
    assert decide(kp1(STRANGER)).code_kind is CodeKind.SIGNED_PASS


@pytest.mark.parametrize(
    ("category", "admitted"),
    [("staff", True), ("visitor", False), (None, False), ("Staff", False)],
)
def test_category(category: str | None, admitted: bool) -> None:
    payload = kp1(category=category)
    expected = PASSED if admitted else (Verdict.FAIL, Reason.CATEGORY_NOT_ADMITTED)
    assert verdict(payload, admit_kinds=["signed_pass"], admit_categories=["staff"]) == expected
    assert verdict(payload) == PASSED  # no admit_categories: every category


@pytest.mark.parametrize(
    ("valid_from", "expected"),
    [
        (NOW + SKEW + 1, (Verdict.FAIL, Reason.NOT_YET_VALID)),
        (NOW + SKEW, PASSED),  # within the clock skew
        (NOW - HOUR, PASSED),
        (None, PASSED),
    ],
)
def test_not_before(valid_from: int | None, expected: Any) -> None:
    assert verdict(kp1(valid_from=valid_from)) == expected


@pytest.mark.parametrize(
    ("valid_until", "expected"),
    [
        (NOW - SKEW, (Verdict.FAIL, Reason.EXPIRED)),
        (NOW - SKEW + 1, PASSED),  # within the clock skew
        (NOW + DAY, PASSED),
    ],
)
def test_expiry(valid_until: int, expected: Any) -> None:
    assert verdict(kp1(valid_until=valid_until)) == expected


@pytest.mark.parametrize("claim", [CWT_EXP, CWT_ISS])
def test_a_pass_without_a_required_claim_is_refused(claim: int) -> None:
    """A pass without `exp` would never expire: it is malformed, not admitted."""
    parts = good_parts(KEY)
    parts.claims.pop(claim)
    parts.claims.pop(CWT_NBF)
    assert verdict(assemble(KEY, parts).encode()) == (Verdict.FAIL, Reason.MALFORMED)


@pytest.mark.parametrize(
    ("age", "expected"),
    [(DAY - 1, PASSED), (DAY + SKEW + 1, (Verdict.FAIL, Reason.DECLARATION_TOO_OLD))],
)
def test_declaration_age(age: int, expected: Any) -> None:
    assert verdict(kp1(declared_at=NOW - age), max_declaration_age="1d") == expected


def test_declaration_missing() -> None:
    payload = kp1(declared_at=None)
    assert verdict(payload, max_declaration_age="1d") == (
        Verdict.FAIL,
        Reason.DECLARATION_MISSING,
    )
    assert verdict(payload) == PASSED


def remote(entries: list[dict[str, Any]]) -> DenyList:
    envelope = sign_document(LIST_KEY, type_=DENY_LIST, version=1, issued_at=0,
                             valid_until=2**40, entries=entries,
                             attributes={"id_kdf": KDF.to_json()})  # fmt: skip
    doc = verify_document(envelope, LIST_KEY.public_key(), expect_type=DENY_LIST, now=0)
    deny = DenyList()
    deny.set_remote(RemoteDeny.from_document(doc))
    return deny


def test_revocation_and_the_deny_list_s_expiry() -> None:
    """A revoked pass fails until the registry's entry ends, and passes after: the end is
    judged at the time of the scan."""
    deny = remote([{"subject": f"pass:{PASS_ID.hex()}", "expires": NOW + HOUR}])
    assert verdict(kp1(), NOW, deny) == (Verdict.FAIL, Reason.DENIED)
    assert verdict(kp1(), NOW + HOUR - 1, deny) == (Verdict.FAIL, Reason.DENIED)
    assert verdict(kp1(), NOW + HOUR, deny) == PASSED
    assert verdict(kp1(pass_id=bytes(16)), NOW, deny) == PASSED  # another pass


def test_a_local_deny_entry_wins_over_a_good_pass() -> None:
    deny = DenyList({Subject(SubjectKind.PASS, PASS_ID.hex()): "lost"})
    d = decide(kp1(), NOW, deny)
    assert (d.verdict, d.reason, d.detail) == (Verdict.FAIL, Reason.DENIED, "lost")


def test_kind_not_admitted() -> None:
    assert verdict(kp1(), admit_kinds=["cccd"]) == (Verdict.FAIL, Reason.KIND_NOT_ADMITTED)


ID = "001090012345"
CARD = f"{ID}||NGUYỄN VĂN AN|17051990|Nam|Thôn Đông, Hà Nội|10082021".encode()
NATIONAL = f"{ID}|NGUYEN VAN AN|1990-05-17|1|QV5T8K2M9|".encode()
NATIONAL_MASKED = b"******2345|NGUYEN VAN AN|1990-05-17|1|QV5T8K2M9|"


@pytest.mark.parametrize("payload", [CARD, NATIONAL])
def test_an_id_number_on_the_deny_list_refuses_the_card_and_the_national_qr(
    payload: bytes,
) -> None:
    deny = remote([{"id_key": KDF.derive(ID), "expires": NOW + HOUR}])
    assert verdict(payload, NOW, deny) == (Verdict.FAIL, Reason.DENIED)
    assert verdict(payload, NOW + HOUR, deny) == PASSED
    assert verdict(NATIONAL_MASKED, NOW, deny) == PASSED  # the number is not on it


def test_a_national_qr_s_qid_on_the_deny_list() -> None:
    deny = DenyList({Subject(SubjectKind.QID, "QV5T8K2M9"): "barred"})
    assert verdict(NATIONAL_MASKED, NOW, deny) == (Verdict.FAIL, Reason.DENIED)


@pytest.mark.parametrize(
    ("payload", "kind", "name"),
    [(CARD, CodeKind.CCCD, "Nguyễn V** A"), (NATIONAL, CodeKind.NATIONAL_QR, "Nguyen V** A")],
)
def test_identity_codes_are_unverified_and_carry_name_and_year(
    payload: bytes, kind: CodeKind, name: str
) -> None:
    d = decide(payload)
    assert (d.verdict, d.code_kind) == (Verdict.PASS, kind)
    assert d.code is not None and not d.code.verified
    assert (d.code.masked_name, d.code.birth_year, d.code.category) == (name, 1990, None)
