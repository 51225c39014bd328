"""Hostile DCCs: any CBOR value in any position is a DccRejected, never a crash."""

from __future__ import annotations

from typing import Any

import base45
import cbor2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkin_protocol.dcc import (
    PREFIX,
    DccCertificate,
    DccReason,
    DccRejected,
    verify_dcc,
)
from checkin_protocol.dcc_trust import DccTrust
from support.dcc_cases import (
    NOW,
    POSITIONS,
    SIGNED,
    Signer,
    good_parts,
    issue,
    make_signer,
    put,
    to_text,
)
from support.kp1_cases import cbor_values, keys

SIGNERS = [make_signer("ES256"), make_signer("PS256")]
TRUST = DccTrust()
for _s in SIGNERS:
    TRUST.add_der(_s.der, now=NOW)
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(text: str) -> DccCertificate | DccReason:
    try:
        return verify_dcc(text, TRUST, NOW)
    except DccRejected as err:
        return err.reason


def hostile(signer: Signer, edits: list[tuple[str, Any, Any]]) -> str:
    parts = good_parts(signer)
    for position, value, extra_key in edits:
        put(parts, position, value, extra_key)
    return issue(signer, parts)


@FUZZ
@given(
    signer=st.sampled_from(SIGNERS),
    edits=st.lists(
        st.tuples(st.sampled_from(POSITIONS), cbor_values, keys), min_size=1, max_size=3
    ),
)
def test_any_value_anywhere_is_rejected_or_read(signer: Signer, edits: list[Any]) -> None:
    assert isinstance(outcome(hostile(signer, edits)), DccCertificate | DccReason)


@FUZZ
@given(
    signer=st.sampled_from(SIGNERS),
    edits=st.lists(st.tuples(st.sampled_from(SIGNED), cbor_values, keys), min_size=1, max_size=3),
)
def test_signed_wrong_types_reach_the_claims(signer: Signer, edits: list[Any]) -> None:
    """Correctly signed: the verdict comes from the claims, never from the signature check."""
    result = outcome(hostile(signer, edits))
    assert isinstance(result, DccCertificate) or result in (
        DccReason.MALFORMED,
        DccReason.EXPIRED,
        DccReason.DCC_EXPIRED,
        DccReason.NOT_YET_VALID,
    )


BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def _hc1(data: bytes) -> str:
    return to_text(data)


@FUZZ
@given(
    text=st.one_of(
        st.text(alphabet=BASE45, max_size=400).map(PREFIX.__add__),
        st.binary(max_size=300).map(lambda b: PREFIX + base45.b45encode(b).decode()),
        st.binary(max_size=300).map(_hc1),
        cbor_values.map(lambda v: _hc1(cbor2.dumps(v))),
        st.lists(cbor_values, max_size=5).map(lambda v: _hc1(cbor2.dumps(cbor2.CBORTag(18, v)))),
        st.text(max_size=200).map(PREFIX.__add__),
        st.text(max_size=200),
    )
)
def test_any_text_is_rejected_cleanly(text: str) -> None:
    result = outcome(text)
    assert result in (DccReason.MALFORMED, DccReason.UNKNOWN_ISSUER)
