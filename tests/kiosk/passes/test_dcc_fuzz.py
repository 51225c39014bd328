"""Hostile HC1 payloads through the kiosk's CodeReader and policy: a FAIL with a reason, always."""

from __future__ import annotations

from typing import Any

import base45
import cbor2
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkin_protocol.dcc import PREFIX
from checkin_protocol.dcc_trust import read_dsc
from checkin_protocol.keys import TrustStore
from checkin_protocol.reasons import Reason
from checkin_protocol.records import Direction
from kiosk.config import PolicyConfig
from kiosk.passes import CodeReader, CodeRejected, DccSigners
from kiosk.policy.denylist import DenyList
from kiosk.policy.engine import VenuePolicy, Verdict
from support.dcc_cases import (
    NOW,
    POSITIONS,
    Signer,
    bomb,
    good_parts,
    issue,
    make_signer,
    put,
    to_text,
)
from support.kp1_cases import cbor_values, keys

SIGNERS = [make_signer("ES256"), make_signer("PS256")]
SEAL = X25519PrivateKey.generate().public_key()


class _Sealing:
    def sealing_key(self) -> X25519PublicKey | None:
        return SEAL


READER = CodeReader(
    trust=TrustStore([]),
    sealing=_Sealing(),
    dcc_signers=DccSigners([read_dsc(s.der, now=0) for s in SIGNERS]),
)
# Every rule on, so that hostile claims reach the rules' date parsing too.
POLICY = VenuePolicy(
    PolicyConfig(admit_kinds=["dcc"], dcc={"vaccination": {"min_days": 1, "max_days": 3000}}),
    Direction.ENTRY,
    "UTC",
    DenyList(),
)
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def verdict(payload: bytes) -> tuple[Verdict, Reason | None]:
    """What the door decides; any exception but CodeRejected fails the test."""
    try:
        code = READER.read(payload, NOW)
    except CodeRejected as err:
        assert isinstance(err.reason, Reason)
        return Verdict.FAIL, err.reason
    decision = POLICY.decide(code, NOW, 0)
    assert (decision.verdict is Verdict.FAIL) == (decision.reason is not None)
    return decision.verdict, decision.reason


@FUZZ
@given(
    signer=st.sampled_from(SIGNERS),
    edits=st.lists(
        st.tuples(st.sampled_from(POSITIONS), cbor_values, keys), min_size=1, max_size=3
    ),
)
def test_signed_dcc_with_any_value_anywhere(signer: Signer, edits: list[Any]) -> None:
    parts = good_parts(signer)
    for position, value, extra in edits:
        put(parts, position, value, extra)
    verdict(issue(signer, parts).encode())


@FUZZ
@given(
    payload=st.one_of(
        st.text(alphabet=BASE45, max_size=600).map(lambda t: (PREFIX + t).encode()),
        st.binary(max_size=400).map(lambda b: PREFIX.encode() + base45.b45encode(b)),
        st.binary(max_size=400).map(lambda b: to_text(b).encode()),
        cbor_values.map(lambda v: to_text(cbor2.dumps(v)).encode()),
        st.binary(max_size=300).map(PREFIX.encode().__add__),
        st.text(max_size=300).map(lambda t: (PREFIX + t).encode("utf-8", "surrogatepass")),
    )
)
def test_any_hc1_payload_fails_with_a_reason(payload: bytes) -> None:
    result, reason = verdict(payload)
    assert result is Verdict.FAIL and reason is not None


def test_bomb_is_a_malformed_fail() -> None:
    assert verdict(bomb().encode()) == (Verdict.FAIL, Reason.MALFORMED)
