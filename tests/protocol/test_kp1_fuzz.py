"""Hostile KP1 passes: any CBOR value in any position is a PassRejected, never a crash."""

from __future__ import annotations

from typing import Any

import base45
import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkin_protocol.keys import PrivateKey, TrustStore, generate_key
from checkin_protocol.kp1 import (
    CWT_KIOSK,
    HDR_ALG,
    PREFIX,
    PassRejected,
    SignedPass,
    _strict_cbor,
    verify_pass,
)
from checkin_protocol.reasons import Reason
from support.kp1_cases import (
    POSITIONS,
    SIGNED,
    assemble,
    cbor_values,
    good_parts,
    keys,
    put,
)

KEYS = [generate_key("ES256"), generate_key("Ed25519")]
TRUST = TrustStore([k.public_key() for k in KEYS])
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

changes = st.lists(st.tuples(st.sampled_from(POSITIONS), cbor_values, keys), min_size=1, max_size=3)


def outcome(text: str) -> SignedPass | Reason:
    try:
        return verify_pass(text, TRUST)
    except PassRejected as err:
        return err.reason


def hostile(key: PrivateKey, edits: list[tuple[str, Any, Any]]) -> str:
    parts = good_parts(key)
    for position, value, extra_key in edits:
        put(parts, position, value, extra_key)
    return assemble(key, parts)


@FUZZ
@given(key=st.sampled_from(KEYS), edits=changes)
def test_any_value_anywhere_is_rejected_or_read(key: PrivateKey, edits: list[Any]) -> None:
    result = outcome(hostile(key, edits))
    assert isinstance(result, SignedPass | Reason)


@FUZZ
@given(
    key=st.sampled_from(KEYS),
    edits=st.lists(st.tuples(st.sampled_from(SIGNED), cbor_values, keys), min_size=1, max_size=3),
)
def test_signed_wrong_types_reach_the_claims(key: PrivateKey, edits: list[Any]) -> None:
    """Correctly signed: the verdict comes from the claims, never from the signature check."""
    result = outcome(hostile(key, edits))
    assert isinstance(result, SignedPass) or result is Reason.MALFORMED


@FUZZ
@given(key=st.sampled_from(KEYS), alg=cbor_values)
def test_any_algorithm_value_is_refused_unless_it_is_the_keys_own(
    key: PrivateKey, alg: Any
) -> None:
    """The reported crash: a list or a map where the algorithm belongs."""
    result = outcome(hostile(key, [("alg", alg, 0)]))
    good_alg = good_parts(key).header[HDR_ALG]
    if type(alg) is int and alg == good_alg:
        assert isinstance(result, SignedPass)
    else:
        assert result in (Reason.MALFORMED, Reason.BAD_SIGNATURE)


@pytest.mark.parametrize(
    "alg", [[-7], {1: -7}, (), -7.0, True, None, cbor2.CBORTag(2, b"\x07"), cbor2.undefined]
)
def test_algorithm_of_the_wrong_type_is_malformed(alg: object) -> None:
    assert outcome(hostile(KEYS[0], [("alg", alg, 0)])) is Reason.MALFORMED


@pytest.mark.parametrize("key", [1.0, True, 4.0, -70001.0, "1", b"\x01"])
def test_claim_keys_that_only_look_like_ints_are_refused(key: object) -> None:
    """A float 4.0 or a bool True would find exp or iss in a Python dict."""
    parts = good_parts(KEYS[0])
    parts.claims = {key if k == 1 else k: v for k, v in parts.claims.items()}
    if key == -70001.0:
        parts.claims = {
            key if k == CWT_KIOSK else k: v for k, v in good_parts(KEYS[0]).claims.items()
        }
    assert outcome(assemble(KEYS[0], parts)) is Reason.MALFORMED


@FUZZ
@given(value=cbor_values)
def test_strict_decoder_returns_or_rejects_any_encoded_value(value: Any) -> None:
    """The canonical re-encode meets floats, NaN, tags, undefined: it may refuse, not crash."""
    for data in (cbor2.dumps(value), cbor2.dumps(value, canonical=True)):
        try:
            _strict_cbor(data, "fuzz", max_depth=4)
        except PassRejected as err:
            assert err.reason is Reason.MALFORMED


@FUZZ
@given(data=st.binary(max_size=200))
def test_strict_decoder_on_random_bytes(data: bytes) -> None:
    try:
        _strict_cbor(data, "fuzz", max_depth=4)
    except PassRejected as err:
        assert err.reason is Reason.MALFORMED


BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


@FUZZ
@given(
    text=st.one_of(
        st.text(alphabet=BASE45, max_size=400).map(PREFIX.__add__),
        st.binary(max_size=300).map(lambda b: PREFIX + base45.b45encode(b).decode()),
        cbor_values.map(lambda v: PREFIX + base45.b45encode(cbor2.dumps(v)).decode()),
        st.lists(cbor_values, max_size=5).map(
            lambda v: PREFIX + base45.b45encode(cbor2.dumps(cbor2.CBORTag(18, v))).decode()
        ),
        st.text(max_size=200).map(PREFIX.__add__),
    )
)
def test_random_kp1_text_is_rejected(text: str) -> None:
    assert isinstance(outcome(text), Reason)


@FUZZ
@given(
    claim=st.sampled_from(["holder name", "holder category", "claim iss"]),
    at=st.integers(0, 8),
    bad=st.characters(categories=("Cc", "Cf", "Co", "Cn")),
)
def test_signed_texts_with_control_characters_are_malformed(claim: str, at: int, bad: str) -> None:
    text = "Nguyễn V** A"
    assert outcome(hostile(KEYS[1], [(claim, text[:at] + bad + text[at:], 0)])) is Reason.MALFORMED


def nested_key_maps(depth: int) -> Any:
    """Maps nested as map keys: cbor2's canonical re-encode doubles its work per level."""
    value: Any = 0
    for i in range(depth):
        value = cbor2.frozendict({value: 1, i: 2})
    return value


@pytest.mark.parametrize("position", ["header", "payload cbor", "holder name", "unprotected"])
def test_deep_key_nesting_is_refused_by_the_decoder_not_re_encoded(position: str) -> None:
    """Refused at decode ("invalid CBOR"), so the costly re-encode never runs. 12 levels keep
    building the pass cheap here; 22 levels take ~10 s to re-encode, the same way refused."""
    text = hostile(KEYS[1], [(position, nested_key_maps(12), 0)])
    with pytest.raises(PassRejected) as exc:
        verify_pass(text, TRUST)
    assert exc.value.reason is Reason.MALFORMED
    assert "invalid CBOR" in exc.value.detail or "wrong types" in exc.value.detail
