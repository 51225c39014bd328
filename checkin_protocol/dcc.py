"""Verify an EU Digital COVID Certificate (`HC1:` QR text) against trusted DSCs, offline."""

from __future__ import annotations

import base64
import hashlib
import math
import re
import unicodedata
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeGuard

import base45
import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from checkin_protocol.dcc_trust import DccTrust, Dsc, Kind

PREFIX = "HC1:"
# A QR code holds at most 4296 alphanumeric characters, so no real DCC is longer; base45 turns
# 3 characters into 2 bytes, which bounds the compressed size before zlib sees it.
MAX_TEXT = 4296
MAX_COMPRESSED = 2900
# Real DCCs inflate to well under 2 KB (an RSA-3072 signature and a long test entry included).
# Inflating stops at this many bytes: a zlib bomb costs this much memory and no more.
MAX_COSE = 8192
_BASE45 = re.compile(r"^[0-9A-Z $%*+\-./:]*$")

COSE_SIGN1_TAG = 18
CWT_TAG = 61
HDR_ALG, HDR_KID = 1, 4
CWT_ISS, CWT_EXP, CWT_IAT, CWT_HCERT = 1, 4, 6, -260
HCERT_EU_DCC_V1 = 1
ES256, PS256 = -7, -37
_ALG_NAME = {ES256: "ES256", PS256: "PS256"}
DEFAULT_SKEW = 300


class DccReason(StrEnum):
    """Why a DCC is refused; the values are checkin_protocol.reasons.Reason's, plus key_usage."""

    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_ISSUER = "unknown_issuer"
    EXPIRED = "expired"  # the signer's certificate (DSC)
    # The certificate's own `exp`: private at the door, since a test certificate's short
    # validity would tell the people behind a visitor that it was a test that expired.
    DCC_EXPIRED = "dcc_expired"
    NOT_YET_VALID = "not_yet_valid"
    KEY_USAGE = "key_usage"


class DccRejected(Exception):
    """A DCC text that must not be trusted; `reason` is for the visitor and the record."""

    def __init__(self, reason: DccReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


class HashType(StrEnum):
    """The EU revocation list's hash types (DCC revocation spec §2.3); all three supported."""

    UCI = "UCI"
    COUNTRYCODEUCI = "COUNTRYCODEUCI"
    SIGNATURE = "SIGNATURE"


@dataclass(frozen=True)
class Names:
    fnt: str
    gnt: str | None
    fn: str | None
    gn: str | None


@dataclass(frozen=True)
class Vaccination:
    tg: str
    vp: str | None
    mp: str
    ma: str | None
    dn: int
    sd: int
    dt: str
    co: str
    is_: str
    ci: str


@dataclass(frozen=True)
class Test:
    __test__ = False  # not a pytest class, whatever its name
    tg: str
    tt: str
    nm: str | None
    ma: str | None
    sc: str
    tr: str
    tc: str | None
    co: str
    is_: str
    ci: str


@dataclass(frozen=True)
class Recovery:
    tg: str
    fr: str
    df: str
    du: str
    co: str
    is_: str
    ci: str


Entry = Vaccination | Test | Recovery


@dataclass(frozen=True)
class DccCertificate:
    kind: Kind
    issuer: str | None  # the CWT's iss, optional: the issuing country's code
    issued_at: int
    expires_at: int
    version: str
    names: Names
    dob: str
    entry: Entry
    kid: bytes
    algorithm: str
    signature: bytes

    @property
    def birth_year(self) -> int | None:
        head = self.dob[:4]
        return int(head) if re.fullmatch("[0-9]{4}", head) else None

    def uvci_hash(self, kind: HashType = HashType.UCI) -> str:
        """The entry's revocation-list hash: SHA-256, first 16 bytes, base64.

        UCI hashes the UVCI as printed; COUNTRYCODEUCI prefixes the CWT issuer country; SIGNATURE
        hashes the COSE signature, for ES256 its r half only (r||s: s can be negated).
        """
        if kind is HashType.UCI:
            data = self.entry.ci.encode()
        elif kind is HashType.COUNTRYCODEUCI:
            # Without the optional iss, the country part is empty (the UVCI alone).
            data = ((self.issuer or "") + self.entry.ci).encode()
        else:
            data = self.signature[:32] if self.algorithm == "ES256" else self.signature
        return base64.b64encode(hashlib.sha256(data).digest()[:16]).decode("ascii")

    def identity_key_material(self) -> bytes:
        """Normalised standardised names and date of birth, stable across a person's DCCs.

        Only the ICAO transliterations (fnt, gnt) count, not the free-form names, and the issuer
        country is left out: the same person vaccinated in one country and tested in another
        keeps one subject. The kiosk hashes this under its own key; it is personal data as is.
        """
        parts = [_icao(self.names.fnt), _icao(self.names.gnt or ""), self.dob.split("T")[0]]
        return b"DCC-ID-1\x00" + "\x00".join(parts).encode("utf-8")


def _icao(name: str) -> str:
    # Issuers differ in how they write separators in the standardised name: spaces, hyphens
    # and runs of '<' all mean one filler.
    text = unicodedata.normalize("NFKC", name).upper().replace(" ", "<").replace("-", "<")
    return re.sub("<+", "<", text).strip("<")


# ---------------------------------------------------------------------------------------------
# Unwrapping: prefix, base45, zlib, COSE. Nothing here trusts a byte it has not bounded.


def _inflate(data: bytes) -> bytes:
    """Inflate a zlib stream to at most MAX_COSE bytes; a bomb stops there, quickly."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_COSE + 1)
    except zlib.error as exc:
        raise DccRejected(DccReason.MALFORMED, f"not a valid zlib stream ({exc})") from exc
    if len(out) > MAX_COSE or inflater.unconsumed_tail:
        raise DccRejected(DccReason.MALFORMED, "payload inflates beyond the size of any DCC")
    if not inflater.eof:
        raise DccRejected(DccReason.MALFORMED, "zlib stream is truncated")
    if inflater.unused_data:
        raise DccRejected(DccReason.MALFORMED, "data after the end of the zlib stream")
    return out


def _cbor(data: bytes, what: str, max_depth: int) -> Any:
    # DCC issuers are not held to canonical CBOR (many encode maps in any order), so unlike KP1
    # there is no re-encoding check; depth, size (bounded above) and duplicate keys still are.
    try:
        return cbor2.loads(data, max_depth=max_depth, allow_duplicate_keys=False)
    except Exception as exc:  # cbor2 raises many types on hostile input; all mean "malformed"
        raise DccRejected(
            DccReason.MALFORMED, f"{what}: invalid CBOR ({type(exc).__name__})"
        ) from exc


def _is_int(value: object) -> TypeGuard[int]:
    # bool is an int in Python, and True == 1 == 1.0 as a dict key: only a real int will do.
    return isinstance(value, int) and not isinstance(value, bool)


def _int_keyed(value: object, what: str) -> dict[int, Any]:
    """The integer-keyed entries of a CBOR map; other keys (text claim names) are ignored.

    Filtering on the key's type first means a float 4.0 or a bool can never stand in for 4 or 1.
    """
    if not isinstance(value, Mapping):
        raise DccRejected(DccReason.MALFORMED, f"{what} is not a map")
    return {k: v for k, v in value.items() if _is_int(k)}


def _text_keyed(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise DccRejected(DccReason.MALFORMED, f"{what} is not a map")
    return {k: v for k, v in value.items() if isinstance(k, str)}


def _unprefix(text: object) -> bytes:
    if not isinstance(text, str):
        raise DccRejected(DccReason.MALFORMED, "code text is not text")
    if len(text) > MAX_TEXT:
        raise DccRejected(DccReason.MALFORMED, "code text is longer than a QR code can hold")
    if not text.startswith(PREFIX):
        raise DccRejected(DccReason.MALFORMED, "not an HC1: code")
    body = text[len(PREFIX) :]
    if not _BASE45.match(body):
        raise DccRejected(DccReason.MALFORMED, "code text has characters outside base45")
    try:
        raw: bytes = base45.b45decode(body)
    except (ValueError, TypeError) as exc:
        raise DccRejected(DccReason.MALFORMED, "code text is not valid base45") from exc
    if len(raw) > MAX_COMPRESSED:
        raise DccRejected(DccReason.MALFORMED, "compressed payload is too large")
    return raw


@dataclass(frozen=True)
class _Cose:
    protected: bytes
    header: dict[int, Any]
    unprotected: dict[int, Any]
    payload: bytes
    signature: bytes


def _cose(raw: bytes) -> _Cose:
    # tag(61) [CWT] may wrap tag(18) [COSE_Sign1], and both are optional: accept 0, 1 or both.
    message = _cbor(raw, "COSE_Sign1", max_depth=4)
    if isinstance(message, cbor2.CBORTag) and message.tag == CWT_TAG:
        message = message.value
    if isinstance(message, cbor2.CBORTag) and message.tag == COSE_SIGN1_TAG:
        message = message.value
    if not (isinstance(message, list | tuple) and len(message) == 4):
        raise DccRejected(DccReason.MALFORMED, "not a COSE_Sign1 message")
    protected, unprotected, payload, signature = message
    if not (
        isinstance(protected, bytes) and isinstance(payload, bytes) and isinstance(signature, bytes)
    ):
        raise DccRejected(DccReason.MALFORMED, "COSE_Sign1 fields have the wrong types")
    # A zero-length protected header is an empty map (RFC 9052 §3).
    header: dict[int, Any] = {}
    if protected:
        header = _int_keyed(_cbor(protected, "protected header", 2), "protected header")
    return _Cose(
        protected, header, _int_keyed(unprotected, "unprotected header"), payload, signature
    )


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload])


# ---------------------------------------------------------------------------------------------
# Signature: the DSC the kid names, the algorithm its key allows.


def _kid_and_alg(cose: _Cose) -> tuple[bytes, int]:
    # The protected kid wins when there is one (spec: an unprotected kid is only a fallback,
    # and a wrong one next to a right protected one is ignored).
    kid = cose.header.get(HDR_KID, cose.unprotected.get(HDR_KID))
    if not isinstance(kid, bytes) or not 0 < len(kid) <= 64:
        raise DccRejected(DccReason.MALFORMED, "kid is missing or not a byte string")
    # The spec puts alg in the protected header, but the EU test data (CO20) and some issuers
    # put it in the unprotected one. Unsigned, it still cannot be swapped to effect: each of
    # the two algorithms accepted here works only with its own key type (EC or RSA).
    alg = cose.header.get(HDR_ALG, cose.unprotected.get(HDR_ALG))
    if not _is_int(alg) or alg not in _ALG_NAME:
        raise DccRejected(DccReason.MALFORMED, "no ES256/PS256 algorithm in the header")
    return kid, alg


def _signature_ok(dsc: Dsc, alg: int, signature: bytes, data: bytes) -> bool:
    key = dsc.key
    try:
        if alg == ES256 and isinstance(key, ec.EllipticCurvePublicKey):
            # COSE carries ECDSA as fixed-size r||s, not DER (RFC 9053 §2.1).
            if len(signature) != 64:
                return False
            r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
            return True
        if alg == PS256 and isinstance(key, rsa.RSAPublicKey):
            if len(signature) != (key.key_size + 7) // 8:
                return False
            # COSE fixes PSS's salt to the digest length (RFC 8230 §2); the EU test data's
            # RSA cases all verify with it, so no other salt length is accepted.
            pss = padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH)
            key.verify(signature, data, pss, hashes.SHA256())
            return True
    except (InvalidSignature, ValueError):
        return False
    return False


def _signer(cose: _Cose, trust: DccTrust) -> tuple[Dsc, bytes, int]:
    kid, alg = _kid_and_alg(cose)
    candidates = trust.candidates(kid)
    if not candidates:
        raise DccRejected(DccReason.UNKNOWN_ISSUER, f"no trusted DSC with kid {kid.hex()}")
    data = _sig_structure(cose.protected, cose.payload)
    # Several DSCs can share a kid: any one of them that verifies is the signer.
    for dsc in candidates:
        if _signature_ok(dsc, alg, cose.signature, data):
            return dsc, kid, alg
    raise DccRejected(DccReason.BAD_SIGNATURE, "signature does not verify")


# ---------------------------------------------------------------------------------------------
# Claims, read only once the signature is good; every value type-checked.


def _text(m: Mapping[str, Any], key: str, what: str, limit: int = 256) -> str:
    value = m.get(key)
    if not isinstance(value, str) or len(value) > limit:
        raise DccRejected(DccReason.MALFORMED, f"{what} is missing or not text")
    # Texts go to the screen and the record: no control, invisible or unassigned characters.
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        raise DccRejected(DccReason.MALFORMED, f"{what} has control characters")
    return value


# The schema's date of birth: YYYY, YYYY-MM or YYYY-MM-DD (early issuers appended a time), or
# empty when unknown. ASCII digits only: "¹⁹⁶⁴" is isdigit() to Python but no year to int().
_DOB = re.compile(r"(?:[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2}(?:T[0-9:.+\-Z]{0,24})?)?)?)?")


def _dob(m: Mapping[str, Any]) -> str:
    value = _text(m, "dob", "dob", 32)
    if not _DOB.fullmatch(value):
        raise DccRejected(DccReason.MALFORMED, "dob is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
    return value


def _opt_text(m: Mapping[str, Any], key: str, what: str, limit: int = 256) -> str | None:
    return None if m.get(key) is None else _text(m, key, what, limit)


def _small_int(m: Mapping[str, Any], key: str, what: str) -> int:
    value = m.get(key)
    if not _is_int(value) or not 0 <= value <= 1000:
        raise DccRejected(DccReason.MALFORMED, f"{what} is missing or not a small integer")
    return value


def _time(claims: Mapping[int, Any], key: int, what: str) -> int:
    """A NumericDate (RFC 8392 §2, as JWT's, RFC 7519 §2): seconds since the epoch, an integer
    or a floating-point number (RFC 8949 §3.4.2's content of tag 1, the tag itself omitted).
    Read to the whole second below: an `exp` of x.9 has passed at x+1."""
    value = claims.get(key)
    if _is_int(value) or (isinstance(value, float) and math.isfinite(value)):
        seconds = math.floor(value)
        if 0 <= seconds < 2**40:
            return seconds
    raise DccRejected(DccReason.MALFORMED, f"claim {what} is missing or not a valid time")


def _vaccination(e: Mapping[str, Any]) -> Vaccination:
    return Vaccination(
        tg=_text(e, "tg", "v.tg"),
        vp=_opt_text(e, "vp", "v.vp"),
        mp=_text(e, "mp", "v.mp"),
        ma=_opt_text(e, "ma", "v.ma"),
        dn=_small_int(e, "dn", "v.dn"),
        sd=_small_int(e, "sd", "v.sd"),
        dt=_text(e, "dt", "v.dt", 32),
        co=_text(e, "co", "v.co"),
        is_=_text(e, "is", "v.is"),
        ci=_text(e, "ci", "v.ci"),
    )


def _test(e: Mapping[str, Any]) -> Test:
    return Test(
        tg=_text(e, "tg", "t.tg"),
        tt=_text(e, "tt", "t.tt"),
        nm=_opt_text(e, "nm", "t.nm"),
        ma=_opt_text(e, "ma", "t.ma"),
        sc=_text(e, "sc", "t.sc", 32),
        tr=_text(e, "tr", "t.tr"),
        tc=_opt_text(e, "tc", "t.tc"),
        co=_text(e, "co", "t.co"),
        is_=_text(e, "is", "t.is"),
        ci=_text(e, "ci", "t.ci"),
    )


def _recovery(e: Mapping[str, Any]) -> Recovery:
    return Recovery(
        tg=_text(e, "tg", "r.tg"),
        fr=_text(e, "fr", "r.fr", 32),
        df=_text(e, "df", "r.df", 32),
        du=_text(e, "du", "r.du", 32),
        co=_text(e, "co", "r.co"),
        is_=_text(e, "is", "r.is"),
        ci=_text(e, "ci", "r.ci"),
    )


_READERS: dict[Kind, Callable[[Mapping[str, Any]], Entry]] = {
    "v": _vaccination,
    "t": _test,
    "r": _recovery,
}


def _entry(dcc: Mapping[str, Any]) -> tuple[Kind, Entry]:
    kinds: list[Kind] = [k for k in ("v", "t", "r") if k in dcc]
    if len(kinds) != 1:
        raise DccRejected(DccReason.MALFORMED, "must hold exactly one of v, t and r")
    kind = kinds[0]
    entries = dcc[kind]
    if not isinstance(entries, list | tuple) or len(entries) != 1:
        raise DccRejected(DccReason.MALFORMED, f"{kind} must be a list of exactly one entry")
    return kind, _READERS[kind](_text_keyed(entries[0], f"{kind} entry"))


def _names(dcc: Mapping[str, Any]) -> Names:
    nam = _text_keyed(dcc.get("nam"), "nam")
    return Names(
        fnt=_text(nam, "fnt", "nam.fnt", 80),
        gnt=_opt_text(nam, "gnt", "nam.gnt", 80),
        fn=_opt_text(nam, "fn", "nam.fn", 80),
        gn=_opt_text(nam, "gn", "nam.gn", 80),
    )


@dataclass(frozen=True)
class _Claims:
    issuer: str | None
    issued_at: int
    expires_at: int
    dcc: dict[str, Any]


def _claims(payload: bytes) -> _Claims:
    # claims map > hcert map > DCC map > v list > entry map > value: 6 levels, 8 allowed.
    claims = _int_keyed(_cbor(payload, "CWT claims", max_depth=8), "CWT claims")
    # iss is optional (hcert spec v1.0.5 §3.3.1: it "MAY optionally hold" the issuing
    # country's ISO 3166-1 alpha-2 code); present, it must be such a text.
    issuer = claims.get(CWT_ISS)
    bad = not isinstance(issuer, str) or not 0 < len(issuer) <= 16 or not issuer.isprintable()
    if issuer is not None and bad:
        raise DccRejected(DccReason.MALFORMED, "claim iss is not a country code")
    hcert = _int_keyed(claims.get(CWT_HCERT), "hcert claim")
    return _Claims(
        issuer=issuer,
        issued_at=_time(claims, CWT_IAT, "iat"),
        expires_at=_time(claims, CWT_EXP, "exp"),
        dcc=_text_keyed(hcert.get(HCERT_EU_DCC_V1), "eu_dcc_v1"),
    )


def verify_dcc(text: str, trust: DccTrust, now: int, skew: int = DEFAULT_SKEW) -> DccCertificate:
    """Check a DCC's QR text at time `now` (Unix seconds); raises DccRejected, nothing else.

    Order matters: every size is bounded before the step that could be made to blow up, the
    signature is checked before any claim is read, and the DSC's validity and key usage are
    judged only against claims that verified. `skew` forgives a kiosk clock that runs behind
    an issuer's (iat in the future); `exp` gets no grace.
    """
    cose = _cose(_inflate(_unprefix(text)))
    dsc, kid, alg = _signer(cose, trust)
    if now > dsc.not_after:
        raise DccRejected(DccReason.EXPIRED, "the signer's certificate (DSC) has expired")
    if now < dsc.not_before:
        raise DccRejected(DccReason.NOT_YET_VALID, "the signer's certificate is not yet valid")
    claims = _claims(cose.payload)
    if now > claims.expires_at:
        raise DccRejected(DccReason.DCC_EXPIRED, "the certificate has expired")
    if claims.issued_at > now + skew:
        raise DccRejected(DccReason.NOT_YET_VALID, "the certificate is issued in the future")
    kind, entry = _entry(claims.dcc)
    if dsc.kinds is not None and kind not in dsc.kinds:
        raise DccRejected(
            DccReason.KEY_USAGE, f"the signer may not sign certificates of kind {kind}"
        )
    dcc = claims.dcc
    return DccCertificate(
        kind=kind,
        issuer=claims.issuer,
        issued_at=claims.issued_at,
        expires_at=claims.expires_at,
        version=_text(dcc, "ver", "ver", 16),
        names=_names(dcc),
        dob=_dob(dcc),
        entry=entry,
        kid=kid,
        algorithm=_ALG_NAME[alg],
        signature=cose.signature,
    )


def issue_dcc(
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
    kid: bytes,
    *,
    issuer: str,
    issued_at: int,
    expires_at: int,
    certificate: Mapping[str, Any],
) -> str:
    """Sign a DCC (`certificate` is the eu_dcc_v1 map) as an issuer would: the QR text.

    For demos and tools; a kiosk only verifies. ES256 with an EC P-256 key, PS256 with RSA.
    """
    alg = ES256 if isinstance(key, ec.EllipticCurvePrivateKey) else PS256
    protected = cbor2.dumps({HDR_ALG: alg, HDR_KID: kid})
    claims = {
        CWT_ISS: issuer,
        CWT_IAT: issued_at,
        CWT_EXP: expires_at,
        CWT_HCERT: {HCERT_EU_DCC_V1: dict(certificate)},
    }
    payload = cbor2.dumps(claims)
    data = _sig_structure(protected, payload)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        pss = padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH)
        signature = key.sign(data, pss, hashes.SHA256())
    message = cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))
    encoded: bytes = base45.b45encode(zlib.compress(message, 9))
    return PREFIX + encoded.decode("ascii")
