"""Our signed personal pass: `KP1:` + base45(COSE_Sign1 over a CWT), verifiable offline."""

from __future__ import annotations

import os
import re
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

import base45
import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from checkin_protocol.keys import (
    COSE_ALG,
    PrivateKey,
    PublicKey,
    TrustStore,
    algorithm_of,
    key_id,
)
from checkin_protocol.reasons import Reason

PREFIX = "KP1:"
# A KP1 pass is ~300 characters; a QR code holds at most 4296 alphanumerics. Anything
# much longer than a pass can be is refused before base45 or CBOR see it.
MAX_TEXT = 1200
MAX_CBOR = 800
_BASE45 = re.compile(r"^[0-9A-Z $%*+\-./:]*$")

COSE_SIGN1_TAG = 18
HDR_ALG, HDR_KID = 1, 4
CWT_ISS, CWT_EXP, CWT_NBF, CWT_IAT, CWT_CTI = 1, 4, 5, 6, 7
# Our claims sit in one map under a private-use CWT claim key (RFC 8392 §9.1: < -65536),
# the way the EU DCC nests its certificate under -260.
CWT_KIOSK = -70001
K_NAME, K_BIRTH_YEAR, K_CATEGORY, K_DECLARED_AT = 1, 2, 3, 4

_ALG_BY_ID = {v: k for k, v in COSE_ALG.items()}


class PassRejected(Exception):
    """A KP1 text that must not be trusted; `reason` is what the visitor and the record get."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class SignedPass:
    pass_id: bytes
    issuer: str
    issued_at: int
    expires_at: int
    not_before: int | None
    masked_name: str
    birth_year: int | None
    category: str | None
    declared_at: int | None
    kid: bytes


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload], canonical=True)


def _sign(key: PrivateKey, data: bytes) -> bytes:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    # COSE carries ECDSA signatures as fixed-size r||s, not DER (RFC 9053 §2.1).
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def issue_pass(
    key: PrivateKey,
    *,
    issuer: str,
    masked_name: str,
    valid_until: int,
    issued_at: int | None = None,
    valid_from: int | None = None,
    birth_year: int | None = None,
    category: str | None = None,
    declared_at: int | None = None,
    pass_id: bytes | None = None,
) -> str:
    """Sign a pass and return its QR text."""
    public = key.public_key()
    alg = algorithm_of(public)
    own: dict[int, Any] = {K_NAME: masked_name}
    if birth_year is not None:
        own[K_BIRTH_YEAR] = birth_year
    if category is not None:
        own[K_CATEGORY] = category
    if declared_at is not None:
        own[K_DECLARED_AT] = declared_at
    claims: dict[int, Any] = {
        CWT_ISS: issuer,
        CWT_IAT: int(time.time()) if issued_at is None else issued_at,
        CWT_EXP: valid_until,
        CWT_CTI: pass_id if pass_id is not None else os.urandom(16),
        CWT_KIOSK: own,
    }
    if valid_from is not None:
        claims[CWT_NBF] = valid_from
    payload = cbor2.dumps(claims, canonical=True)
    protected = cbor2.dumps({HDR_ALG: COSE_ALG[alg], HDR_KID: key_id(public)}, canonical=True)
    signature = _sign(key, _sig_structure(protected, payload))
    message = cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature])
    encoded: bytes = base45.b45encode(cbor2.dumps(message, canonical=True))
    return PREFIX + encoded.decode("ascii")


def _strict_cbor(data: bytes, what: str, max_depth: int) -> Any:
    """Decode CBOR we will trust only if it is exactly the canonical encoding of its value.

    `max_depth` is what keeps the re-encode cheap: cbor2's canonical encoder sorts map keys
    by encoding them, so maps nested as keys cost twice as much per level (87 bytes nested
    22 deep took 12 s). Our structures are at most 3 deep; anything deeper fails to decode.
    """
    try:
        value = cbor2.loads(
            data, max_depth=max_depth, allow_indefinite=False, allow_duplicate_keys=False
        )
        canonical = cbor2.dumps(value, canonical=True)
    except Exception as exc:  # cbor2 raises many types on hostile input; all mean "malformed"
        raise PassRejected(
            Reason.MALFORMED, f"{what}: invalid CBOR ({type(exc).__name__})"
        ) from exc
    if canonical != data:
        raise PassRejected(Reason.MALFORMED, f"{what}: CBOR is not canonical")
    return value


def _verify_signature(public: PublicKey, signature: bytes, data: bytes) -> None:
    # The header's algorithm was already matched to the key's, so the key type decides.
    try:
        if isinstance(public, ed25519.Ed25519PublicKey):
            public.verify(signature, data)
        else:
            if len(signature) != 64:
                raise InvalidSignature
            r = int.from_bytes(signature[:32], "big")
            s = int.from_bytes(signature[32:], "big")
            public.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise PassRejected(Reason.BAD_SIGNATURE, "signature does not verify") from exc


def _is_int(value: object) -> TypeGuard[int]:
    # bool is an int in Python, and True == 1 == 1.0 as a dict key: only a real int will do.
    return isinstance(value, int) and not isinstance(value, bool)


def _int_map(value: object, what: str) -> dict[int, Any]:
    """`value` as a map whose keys are all integers, or PassRejected.

    Every map here is keyed by small integers. Checking that first means no later lookup can
    meet an unhashable or look-alike key (a float 4.0 or a bool would find the int 4 or 1).
    """
    if not isinstance(value, Mapping) or not all(_is_int(k) for k in value):
        raise PassRejected(Reason.MALFORMED, f"{what} is not a map with integer keys")
    return dict(value)


def _opt_int(claims: dict[int, Any], key: int, what: str) -> int | None:
    value = claims.get(key)
    if value is None:
        return None
    if not _is_int(value) or not 0 <= value < 2**40:
        raise PassRejected(Reason.MALFORMED, f"claim {what} is not a valid integer")
    return value


def _opt_text(claims: dict[int, Any], key: int, what: str, limit: int) -> str | None:
    value = claims.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise PassRejected(Reason.MALFORMED, f"claim {what} is not valid text")
    # Texts go to the screen and the record: no control, invisible or unassigned characters
    # (a NUL stops pygame's font.render), even from a trusted issuer.
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        raise PassRejected(Reason.MALFORMED, f"claim {what} has control characters")
    return value


def _unwrap(text: str) -> tuple[bytes, bytes, bytes]:
    """The protected header, payload and signature of a KP1 text, each checked to be bytes."""
    if len(text) > MAX_TEXT:
        raise PassRejected(Reason.MALFORMED, "pass text is too long")
    body = text[len(PREFIX) :]
    if not _BASE45.match(body):
        raise PassRejected(Reason.MALFORMED, "pass text has characters outside base45")
    try:
        raw = base45.b45decode(body)
    except (ValueError, TypeError) as exc:
        raise PassRejected(Reason.MALFORMED, "pass text is not valid base45") from exc
    if len(raw) > MAX_CBOR:
        raise PassRejected(Reason.MALFORMED, "pass is too large")
    message = _strict_cbor(raw, "COSE_Sign1", max_depth=3)
    if not (
        isinstance(message, cbor2.CBORTag)
        and message.tag == COSE_SIGN1_TAG
        # cbor2 decodes a tag's content as immutable containers (tuple, frozendict).
        and isinstance(message.value, list | tuple)
        and len(message.value) == 4
    ):
        raise PassRejected(Reason.MALFORMED, "not a tagged COSE_Sign1 message")
    protected, unprotected, payload, signature = message.value
    if not (
        isinstance(protected, bytes)
        and isinstance(unprotected, Mapping)
        and len(unprotected) == 0
        and isinstance(payload, bytes)
        and isinstance(signature, bytes)
    ):
        raise PassRejected(Reason.MALFORMED, "COSE_Sign1 fields have the wrong types")
    return protected, payload, signature


def _signer(protected: bytes, trust: TrustStore) -> tuple[PublicKey, bytes]:
    """The trusted key and key id the protected header names, for the algorithm it names."""
    header = _int_map(_strict_cbor(protected, "protected header", max_depth=1), "header")
    if set(header) != {HDR_ALG, HDR_KID}:
        raise PassRejected(Reason.MALFORMED, "protected header must hold alg and kid only")
    alg_id, kid = header[HDR_ALG], header[HDR_KID]
    # A printed code can put any CBOR value here (a list is unhashable, -7.0 would equal -7):
    # the type is checked before the value is used as a key.
    if not _is_int(alg_id):
        raise PassRejected(Reason.MALFORMED, "COSE algorithm is not an integer")
    alg = _ALG_BY_ID.get(alg_id)
    if alg is None:
        raise PassRejected(Reason.MALFORMED, f"unsupported COSE algorithm {alg_id}")
    if not isinstance(kid, bytes) or len(kid) != 8:
        raise PassRejected(Reason.MALFORMED, "kid must be 8 bytes")
    public = trust.get(kid)
    if public is None:
        raise PassRejected(Reason.UNKNOWN_ISSUER, f"no trusted key with id {kid.hex()}")
    if algorithm_of(public) != alg:
        raise PassRejected(Reason.BAD_SIGNATURE, "algorithm does not match the issuer's key")
    return public, kid


def _read_claims(payload: bytes, kid: bytes) -> SignedPass:
    claims = _int_map(_strict_cbor(payload, "CWT claims", max_depth=2), "CWT claims")
    if CWT_KIOSK not in claims:
        raise PassRejected(Reason.MALFORMED, "pass holder claims are missing")
    own = _int_map(claims[CWT_KIOSK], "pass holder claims")
    cti = claims.get(CWT_CTI)
    if not isinstance(cti, bytes) or len(cti) != 16:
        raise PassRejected(Reason.MALFORMED, "pass id must be 16 bytes")
    issuer = _opt_text(claims, CWT_ISS, "iss", 100)
    issued_at = _opt_int(claims, CWT_IAT, "iat")
    expires_at = _opt_int(claims, CWT_EXP, "exp")
    name = _opt_text(own, K_NAME, "name", 100)
    if issuer is None or issued_at is None or expires_at is None or name is None:
        raise PassRejected(Reason.MALFORMED, "a required claim (iss, iat, exp, name) is missing")
    birth_year = _opt_int(own, K_BIRTH_YEAR, "birth year")
    if birth_year is not None and not 1900 <= birth_year <= 2200:
        raise PassRejected(Reason.MALFORMED, "birth year out of range")
    return SignedPass(
        pass_id=cti,
        issuer=issuer,
        issued_at=issued_at,
        expires_at=expires_at,
        not_before=_opt_int(claims, CWT_NBF, "nbf"),
        masked_name=name,
        birth_year=birth_year,
        category=_opt_text(own, K_CATEGORY, "category", 32),
        declared_at=_opt_int(own, K_DECLARED_AT, "declared_at"),
        kid=kid,
    )


def verify_pass(text: str, trust: TrustStore) -> SignedPass:
    """Check a KP1 text and return its claims; raises PassRejected. No claim is read unverified.

    Expiry and not-before are policy (with the venue's clock skew), not checked here.
    Every field may hold any CBOR type, whatever the issuer meant: each is type-checked
    before it is used, and nothing but PassRejected leaves this function.
    """
    protected, payload, signature = _unwrap(text)
    public, kid = _signer(protected, trust)
    _verify_signature(public, signature, _sig_structure(protected, payload))
    # Only now, with the signature good, do we look at the claims.
    return _read_claims(payload, kid)
