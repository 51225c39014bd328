"""CodeReader.read on anything a printed code can carry: a PersonalCode or CodeRejected, only."""

from __future__ import annotations

import time
from typing import Any

import base45
import cbor2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkin_protocol.keys import PrivateKey, TrustStore, generate_key
from checkin_protocol.reasons import Reason
from kiosk.passes import CodeReader, CodeRejected, PersonalCode
from support.kp1_cases import POSITIONS, assemble, cbor_values, good_parts, keys, put

KEYS = [generate_key("ES256"), generate_key("Ed25519")]
READER = CodeReader(trust=TrustStore([k.public_key() for k in KEYS]))
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def read(payload: bytes) -> PersonalCode | Reason:
    """What the kiosk makes of a payload; any other exception fails the test."""
    try:
        return READER.read(payload, time.time())
    except CodeRejected as err:
        assert isinstance(err.reason, Reason)
        return err.reason


@FUZZ
@given(
    key=st.sampled_from(KEYS),
    edits=st.lists(
        st.tuples(st.sampled_from(POSITIONS), cbor_values, keys), min_size=1, max_size=3
    ),
)
def test_signed_pass_with_wrong_types_anywhere(key: PrivateKey, edits: list[Any]) -> None:
    parts = good_parts(key)
    for position, value, extra_key in edits:
        put(parts, position, value, extra_key)
    assert isinstance(read(assemble(key, parts).encode()), PersonalCode | Reason)


kp1_texts = st.one_of(
    st.text(alphabet=BASE45, max_size=600),
    st.binary(max_size=400).map(lambda b: base45.b45encode(b).decode()),
    cbor_values.map(lambda v: base45.b45encode(cbor2.dumps(v)).decode()),
    st.lists(cbor_values, min_size=4, max_size=4).map(
        lambda v: base45.b45encode(cbor2.dumps(cbor2.CBORTag(18, v))).decode()
    ),
    st.text(max_size=300),
).map("KP1:".__add__)

field = st.one_of(st.text(max_size=20), st.text(alphabet="0123456789/ ", max_size=12))
identity_like = st.one_of(
    # CCCD-shaped: a 12-digit-looking first field and six or seven fields in all.
    st.tuples(
        st.text(alphabet="0123456789０１２٣ \n", min_size=12, max_size=14),
        st.lists(field, min_size=4, max_size=7),
    ),
    # National-QR-shaped: a masked number first.
    st.tuples(
        st.text(alphabet="*xX0123456789", min_size=8, max_size=18),
        st.lists(field, min_size=4, max_size=8),
    ),
).map(lambda t: "|".join([t[0], *t[1]]))


@FUZZ
@given(
    payload=st.one_of(
        st.binary(max_size=2100),
        st.text(max_size=300).map(str.encode),
        kp1_texts.map(str.encode),
        identity_like.map(str.encode),
        st.text(alphabet="KP0123456789:|", max_size=12).map(str.encode),
    )
)
def test_any_payload_is_a_code_or_a_reason(payload: bytes) -> None:
    result = read(payload)
    if isinstance(result, PersonalCode):
        assert result.masked_name and len(str(result.subject)) < 200
