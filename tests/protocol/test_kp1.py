"""KP1 signed passes: real ES256/Ed25519 signatures, and every way a hostile pass can be wrong."""

from __future__ import annotations

import time
from collections.abc import Callable

import base45
import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkin_protocol.keys import PrivateKey, TrustStore, generate_key, key_id
from checkin_protocol.kp1 import (
    COSE_SIGN1_TAG,
    PREFIX,
    PassRejected,
    _sig_structure,
    _sign,
    issue_pass,
    verify_pass,
)
from checkin_protocol.reasons import Reason


def decode_message(text: str) -> list[object]:
    tag = cbor2.loads(base45.b45decode(text[len(PREFIX) :]))
    return list(tag.value)


def encode_message(parts: list[object]) -> str:
    raw = cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, parts), canonical=True)
    encoded: bytes = base45.b45encode(raw)
    return PREFIX + encoded.decode()


def reason_of(text: str, trust: TrustStore) -> Reason:
    with pytest.raises(PassRejected) as exc:
        verify_pass(text, trust)
    return exc.value.reason


def test_round_trip_carries_every_claim(issuer_key: PrivateKey, trust: TrustStore) -> None:
    now = int(time.time())
    text = issue_pass(
        issuer_key,
        issuer="hcmc-health",
        masked_name="Nguyễn V** A",
        valid_until=now + 3600,
        valid_from=now - 60,
        birth_year=1990,
        category="visitor",
        declared_at=now - 120,
        pass_id=bytes(range(16)),
    )
    assert text.startswith("KP1:")
    p = verify_pass(text, trust)
    assert p.pass_id == bytes(range(16))
    assert p.issuer == "hcmc-health"
    assert p.masked_name == "Nguyễn V** A"
    assert (p.birth_year, p.category) == (1990, "visitor")
    assert (p.not_before, p.expires_at, p.declared_at) == (now - 60, now + 3600, now - 120)
    assert p.kid == key_id(issuer_key.public_key())


def test_ed25519_passes_verify() -> None:
    key = generate_key("Ed25519")
    text = issue_pass(key, issuer="x", masked_name="A**", valid_until=2_000_000_000)
    assert verify_pass(text, TrustStore([key.public_key()])).masked_name == "A**"


def test_pass_ids_are_random_128_bit(make_pass: Callable[..., str], trust: TrustStore) -> None:
    ids = {verify_pass(make_pass(), trust).pass_id for _ in range(20)}
    assert len(ids) == 20 and all(len(i) == 16 for i in ids)


def test_pass_fits_a_small_qr_code(make_pass: Callable[..., str]) -> None:
    # No compression, but still well inside a version-10-ish code at error level M.
    assert len(make_pass(birth_year=1990, category="visitor")) < 320


def test_unknown_key_is_unknown_issuer(
    make_pass: Callable[..., str], other_key: PrivateKey, trust: TrustStore
) -> None:
    assert reason_of(make_pass(key=other_key), trust) is Reason.UNKNOWN_ISSUER


def test_signature_by_another_key_under_a_trusted_kid(
    issuer_key: PrivateKey, other_key: PrivateKey, trust: TrustStore
) -> None:
    """A forger copies a trusted kid into the header but signs with their own key."""
    protected = cbor2.dumps({1: -7, 4: key_id(issuer_key.public_key())}, canonical=True)
    payload = cbor2.dumps(
        {1: "x", 4: 2_000_000_000, 6: 1, 7: b"\x00" * 16, -70001: {1: "A"}}, canonical=True
    )
    forged = encode_message(
        [protected, {}, payload, _sign(other_key, _sig_structure(protected, payload))]
    )
    assert reason_of(forged, trust) is Reason.BAD_SIGNATURE


def test_every_tampered_payload_byte_fails(
    make_pass: Callable[..., str], trust: TrustStore
) -> None:
    parts = decode_message(make_pass())
    payload = parts[2]
    assert isinstance(payload, bytes)
    for i in range(len(payload)):
        changed = bytearray(payload)
        changed[i] ^= 0x01
        text = encode_message([parts[0], {}, bytes(changed), parts[3]])
        assert reason_of(text, trust) in (Reason.BAD_SIGNATURE, Reason.MALFORMED)


def test_tampered_signature_fails(make_pass: Callable[..., str], trust: TrustStore) -> None:
    parts = decode_message(make_pass())
    assert isinstance(parts[3], bytes)
    sig = bytearray(parts[3])
    sig[10] ^= 0x80
    assert (
        reason_of(encode_message([parts[0], {}, parts[2], bytes(sig)]), trust)
        is Reason.BAD_SIGNATURE
    )


def test_claims_are_not_read_before_the_signature(
    issuer_key: PrivateKey, trust: TrustStore
) -> None:
    """Garbage claims under a bad signature must be reported as a bad signature, not parsed."""
    protected = cbor2.dumps({1: -7, 4: key_id(issuer_key.public_key())}, canonical=True)
    text = encode_message([protected, {}, b"\xff\xff not cbor", b"\x00" * 64])
    assert reason_of(text, trust) is Reason.BAD_SIGNATURE


def test_non_canonical_cbor_is_refused(make_pass: Callable[..., str], trust: TrustStore) -> None:
    raw = base45.b45decode(make_pass()[len(PREFIX) :])
    # Re-encode the array header with a needlessly long length (0x98 0x04 instead of 0x84).
    assert raw[:2] == b"\xd2\x84"
    longer = b"\xd2\x98\x04" + raw[2:]
    assert reason_of(PREFIX + base45.b45encode(longer).decode(), trust) is Reason.MALFORMED


def test_indefinite_length_is_refused(make_pass: Callable[..., str], trust: TrustStore) -> None:
    raw = base45.b45decode(make_pass()[len(PREFIX) :])
    indefinite = b"\xd2\x9f" + raw[2:] + b"\xff"
    assert reason_of(PREFIX + base45.b45encode(indefinite).decode(), trust) is Reason.MALFORMED


def test_deeply_nested_cbor_does_not_recurse(trust: TrustStore) -> None:
    deep = b"\x81" * 500 + b"\x00"
    assert reason_of(PREFIX + base45.b45encode(deep).decode(), trust) is Reason.MALFORMED


@pytest.mark.parametrize("cut", [1, 5, 20, 60])
def test_truncated_passes_fail_cleanly(
    make_pass: Callable[..., str], trust: TrustStore, cut: int
) -> None:
    assert reason_of(make_pass()[:-cut], trust) is Reason.MALFORMED


def test_oversized_and_bad_alphabet(trust: TrustStore) -> None:
    assert reason_of(PREFIX + "A" * 5000, trust) is Reason.MALFORMED
    assert reason_of(PREFIX + "abc", trust) is Reason.MALFORMED  # lower case is not base45
    assert reason_of(PREFIX + base45.b45encode(b"\x00" * 900).decode(), trust) is Reason.MALFORMED


def test_unprotected_header_must_be_empty(make_pass: Callable[..., str], trust: TrustStore) -> None:
    parts = decode_message(make_pass())
    text = encode_message([parts[0], {4: b"12345678"}, parts[2], parts[3]])
    assert reason_of(text, trust) is Reason.MALFORMED


def test_wrong_tag_and_shape(trust: TrustStore) -> None:
    as_sign = cbor2.dumps(cbor2.CBORTag(98, [b"", {}, b"", b""]), canonical=True)
    assert reason_of(PREFIX + base45.b45encode(as_sign).decode(), trust) is Reason.MALFORMED
    untagged = cbor2.dumps([b"", {}, b"", b""], canonical=True)
    assert reason_of(PREFIX + base45.b45encode(untagged).decode(), trust) is Reason.MALFORMED


def test_algorithm_must_match_the_key(issuer_key: PrivateKey, trust: TrustStore) -> None:
    protected = cbor2.dumps({1: -8, 4: key_id(issuer_key.public_key())}, canonical=True)
    text = encode_message([protected, {}, b"\xa0", b"\x00" * 64])
    assert reason_of(text, trust) is Reason.BAD_SIGNATURE


@given(st.binary(max_size=600))
@settings(deadline=None)
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    trust = TrustStore([])
    try:
        verify_pass(PREFIX + base45.b45encode(data).decode(), trust)
    except PassRejected as err:
        assert err.reason in (Reason.MALFORMED, Reason.UNKNOWN_ISSUER)


@given(st.text(max_size=400))
@settings(deadline=None)
def test_arbitrary_text_never_crashes(text: str) -> None:
    with pytest.raises(PassRejected):
        verify_pass(PREFIX + text, TrustStore([]))
