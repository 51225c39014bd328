"""Hypothesis strategies for hostile KP1 passes: correctly signed, wrong-typed in one place."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import base45
import cbor2
from hypothesis import strategies as st

from checkin_protocol.keys import COSE_ALG, PrivateKey, algorithm_of, key_id
from checkin_protocol.kp1 import (
    COSE_SIGN1_TAG,
    CWT_CTI,
    CWT_EXP,
    CWT_IAT,
    CWT_ISS,
    CWT_KIOSK,
    CWT_NBF,
    HDR_ALG,
    HDR_KID,
    K_BIRTH_YEAR,
    K_CATEGORY,
    K_DECLARED_AT,
    K_NAME,
    PREFIX,
    _sig_structure,
    _sign,
)

# Tags cbor2 gives a meaning to when decoding (dates, bignums, sets, shared values, ...),
# drawn often because they are where a decoder's own conversions can fail.
SEMANTIC_TAGS = [0, 1, 2, 3, 4, 5, 18, 24, 25, 28, 29, 30, 35, 36, 37, 256, 258, 260, 261, 55799]

scalars: st.SearchStrategy[Any] = st.one_of(
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, -1, 1, 2**63, -(2**64), 2**64 - 1, 2**40, -7, -8]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, -0.0, math.inf, -7.0, 4.0, 1.0]),
    st.booleans(),
    st.none(),
    st.just(cbor2.undefined),
    st.integers(0, 255).filter(lambda n: not 20 <= n <= 31).map(cbor2.CBORSimpleValue),
    st.binary(max_size=24),
    st.text(max_size=24),
)
# Map keys must be hashable in Python before they can be encoded.
keys: st.SearchStrategy[Any] = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.binary(max_size=8),
    st.text(max_size=8),
)
cbor_values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(keys, inner, max_size=4),
        st.builds(
            cbor2.CBORTag,
            st.one_of(st.sampled_from(SEMANTIC_TAGS), st.integers(0, 2**64 - 1)),
            inner,
        ),
    ),
    max_leaves=8,
)

CLAIMS = {
    "iss": CWT_ISS,
    "exp": CWT_EXP,
    "nbf": CWT_NBF,
    "iat": CWT_IAT,
    "cti": CWT_CTI,
    "holder": CWT_KIOSK,
}
HOLDER = {
    "name": K_NAME,
    "birth_year": K_BIRTH_YEAR,
    "category": K_CATEGORY,
    "declared_at": K_DECLARED_AT,
}
# Where a wrong value can go. The first group is read before the signature is checked; the
# claim positions are signed correctly, so the verifier reaches the claims themselves.
ENVELOPE = ["alg", "kid", "header extra", "header", "unprotected", "payload", "signature"]
SIGNED = [
    "payload cbor",
    *(f"claim {c}" for c in CLAIMS),
    "claim extra",
    *(f"holder {h}" for h in HOLDER),
    "holder extra",
]
POSITIONS = ENVELOPE + SIGNED


@dataclass
class Parts:
    """A good pass taken apart, so one position can be replaced before it is signed."""

    header: dict[Any, Any]
    unprotected: Any
    claims: dict[Any, Any]
    holder: dict[Any, Any]
    payload: Any = None  # replaces the encoded claims when set
    signature: Any = None  # replaces the real signature when set
    protected: Any = None  # replaces the encoded header when set


def good_parts(key: PrivateKey) -> Parts:
    now = int(time.time())
    public = key.public_key()
    parts = Parts(
        header={HDR_ALG: COSE_ALG[algorithm_of(public)], HDR_KID: key_id(public)},
        unprotected={},
        claims={
            CWT_ISS: "fuzz",
            CWT_IAT: now,
            CWT_EXP: now + 3600,
            CWT_NBF: now - 60,
            CWT_CTI: bytes(16),
        },
        holder={K_NAME: "Nguyễn V** A", K_BIRTH_YEAR: 1990, K_CATEGORY: "visitor"},
    )
    # The claims hold the very holder dict, so a change to either is in the payload.
    parts.claims[CWT_KIOSK] = parts.holder
    return parts


def put(parts: Parts, position: str, value: Any, extra_key: Any) -> None:
    """Replace what sits at `position` with `value`."""
    where, _, name = position.partition(" ")
    if position == "alg":
        parts.header[HDR_ALG] = value
    elif position == "kid":
        parts.header[HDR_KID] = value
    elif position == "header extra":
        parts.header[extra_key] = value
    elif position == "header":
        parts.protected = value if isinstance(value, bytes) else cbor2.dumps(value)
    elif position == "unprotected":
        parts.unprotected = value
    elif position == "payload":
        parts.payload = value
    elif position == "payload cbor":
        parts.payload = cbor2.dumps(value, canonical=True)
    elif position == "signature":
        parts.signature = value
    elif where == "claim":
        parts.claims[CLAIMS.get(name, extra_key)] = value
    else:
        parts.holder[HOLDER.get(name, extra_key)] = value


def assemble(key: PrivateKey, parts: Parts) -> str:
    """The QR text: the parts encoded canonically and signed with `key` (unless replaced)."""
    protected = parts.protected
    if protected is None:
        protected = cbor2.dumps(parts.header, canonical=True)
    payload = parts.payload
    if payload is None:
        payload = cbor2.dumps(parts.claims, canonical=True)
    signature = parts.signature
    if signature is None:
        # Signed over whatever the fields are, as an issuer with a bug (or a stolen key) would.
        signed_payload = payload if isinstance(payload, bytes) else cbor2.dumps(payload)
        signed_header = protected if isinstance(protected, bytes) else cbor2.dumps(protected)
        signature = _sign(key, _sig_structure(signed_header, signed_payload))
    message = cbor2.CBORTag(COSE_SIGN1_TAG, [protected, parts.unprotected, payload, signature])
    encoded: bytes = base45.b45encode(cbor2.dumps(message, canonical=True))
    return PREFIX + encoded.decode("ascii")
