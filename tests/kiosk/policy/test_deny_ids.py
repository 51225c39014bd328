"""The registry's deny list at a kiosk: ID numbers by scrypt key, no reason codes, expiries."""

from __future__ import annotations

import time
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from checkin_protocol.documents import DENY_LIST, sign_document, verify_document
from checkin_protocol.keys import generate_key
from checkin_protocol.reasons import Reason
from checkin_protocol.records import Direction, Subject, SubjectKind
from checkin_protocol.sealing import IdKdf, open_sealed, public_key_text
from kiosk.config import PolicyConfig
from kiosk.passes import CodeKind, CodeReader
from kiosk.policy.denylist import DenyList, RemoteDeny
from kiosk.policy.engine import VenuePolicy, Verdict

LIST_KEY = generate_key()
SEAL = X25519PrivateKey.generate()
KDF = IdKdf(b"list salt v7 ...", n=2**10)  # cheap here; the registry's is 2**13
ADDRESS = "Số 1, Phố Huế, Hà Nội"
BARRED = "001090077777"
PASS_ID = "ab" * 16
NOW = 1_800_000_000.0


def cccd(number: str) -> bytes:
    return f"{number}|123456789|NGUYỄN VĂN AN|01011990|Nam|{ADDRESS}|01012021".encode()


def deny_list(entries: list[dict[str, Any]], **attributes: Any) -> RemoteDeny:
    envelope = sign_document(LIST_KEY, type_=DENY_LIST, version=7, issued_at=0,
                             valid_until=2**40, entries=entries, attributes=attributes)  # fmt: skip
    doc = verify_document(envelope, LIST_KEY.public_key(), expect_type=DENY_LIST, now=0)
    return RemoteDeny.from_document(doc)


def kiosk(remote: RemoteDeny, trust: Any) -> tuple[CodeReader, VenuePolicy]:
    deny = DenyList()
    deny.set_remote(remote)
    cfg = PolicyConfig(admit_kinds=[CodeKind.SIGNED_PASS, CodeKind.CCCD])
    return CodeReader(trust, sealing=deny), VenuePolicy(cfg, Direction.ENTRY, "UTC", deny)


NEW_LIST = {"seal_key": public_key_text(SEAL.public_key()), "id_kdf": KDF.to_json()}


def test_a_barred_id_number_fails_privately_through_the_signed_list(trust: Any) -> None:
    remote = deny_list([{"id_key": KDF.derive(BARRED), "public": False}], **NEW_LIST)
    reader, policy = kiosk(remote, trust)
    now = time.time()
    code = reader.read(cccd(BARRED), NOW)
    decision = policy.decide(code, now, 0)
    assert (decision.verdict, decision.reason, decision.detail) == (
        Verdict.FAIL,
        Reason.DENIED,
        "denied",  # no reason code reached the kiosk, so none can be shown or logged
    )
    assert policy.decide(reader.read(cccd("001090012345"), NOW), now, 0).verdict is Verdict.PASS
    # The record's subject is sealed to the registry, which alone can open it.
    assert code.subject is not None and code.subject.kind is SubjectKind.SEALED
    assert open_sealed([SEAL], code.subject) == BARRED


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_only_the_barred_number_is_refused(number: str) -> None:
    deny = DenyList()
    deny.set_remote(deny_list([{"id_key": KDF.derive(BARRED)}], **NEW_LIST))
    assert (deny.reason_for_id(number, NOW) is not None) == (number == BARRED)


def test_a_public_entry_keeps_its_reason_and_a_private_one_loses_it() -> None:
    remote = deny_list(
        [
            {"id_key": KDF.derive(BARRED), "public": True, "reason_code": "court_order"},
            {"subject": f"pass:{PASS_ID}", "public": False, "reason_code": "health_risk"},
        ],
        **NEW_LIST,
    )
    deny = DenyList()
    deny.set_remote(remote)
    assert deny.reason_for_id(BARRED, NOW) == "court_order"
    assert deny.reason_for(Subject(SubjectKind.PASS, PASS_ID), NOW) == "denied"


def test_entries_expire_between_list_versions() -> None:
    remote = deny_list(
        [
            {"id_key": KDF.derive(BARRED), "expires": 1000},
            {"subject": f"pass:{PASS_ID}", "expires": 1000},
        ],
        **NEW_LIST,
    )
    deny = DenyList()
    deny.set_remote(remote)
    assert deny.reason_for_id(BARRED, 999.0) == "denied"
    assert deny.reason_for_id(BARRED, 1000.0) is None
    assert deny.reason_for(Subject(SubjectKind.PASS, PASS_ID), 999.0) == "denied"
    assert deny.reason_for(Subject(SubjectKind.PASS, PASS_ID), 1000.0) is None


def test_an_old_format_list_still_works_and_bad_entries_are_skipped(trust: Any) -> None:
    remote = deny_list(
        [
            {"subject": f"pass:{PASS_ID}", "reason_code": "revoked", "public": False},
            {"subject": "idh:" + "a" * 32, "reason_code": "health_order", "public": False},
            {"subject": "nonsense"},
            {"id_key": "x", "expires": "tomorrow"},
        ]
    )
    assert set(remote.subjects) == {
        Subject(SubjectKind.PASS, PASS_ID),
        Subject(SubjectKind.ID_HASH, "a" * 32),
    }
    assert remote.kdf is None and remote.seal_key is None and not remote.ids
    reader, policy = kiosk(remote, trust)
    # Without a registry sealing key a CCCD leaves no ID-derived subject at all.
    code = reader.read(cccd(BARRED), NOW)
    assert code.subject is None
    assert policy.decide(code, time.time(), 0).verdict is Verdict.PASS


def test_bad_id_parameters_disable_id_entries_only() -> None:
    remote = deny_list(
        [{"id_key": KDF.derive(BARRED)}, {"subject": f"pass:{PASS_ID}"}],
        seal_key="not a key",
        id_kdf={"alg": "scrypt", "salt": "c" * 22, "n": 2**24, "r": 8, "p": 1},
    )
    deny = DenyList()
    deny.set_remote(remote)
    assert deny.reason_for_id(BARRED, NOW) is None and deny.sealing_key() is None
    assert deny.reason_for(Subject(SubjectKind.PASS, PASS_ID), NOW) == "denied"
