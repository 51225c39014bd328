"""Real DSCs (CSCA-signed X.509) and signed DCCs for tests, with hooks to break any part."""

from __future__ import annotations

import copy
import datetime as dt
import zlib
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

import base45
import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from checkin_protocol.dcc import (
    COSE_SIGN1_TAG,
    CWT_EXP,
    CWT_HCERT,
    CWT_IAT,
    CWT_ISS,
    CWT_TAG,
    ES256,
    HDR_ALG,
    HDR_KID,
    PREFIX,
    PS256,
)
from checkin_protocol.dcc_trust import dsc_kid

Alg = Literal["ES256", "PS256"]
SigningKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
NOW = 1_780_000_000  # 2026-05-28: every generated certificate is judged at this instant
DAY = 86400
OID = {"t": "1.3.6.1.4.1.1847.2021.1.1", "v": "1.3.6.1.4.1.1847.2021.1.2"}
OID["r"] = "1.3.6.1.4.1.1847.2021.1.3"
OID_VARIANT = {k: v.replace("4.1.1847", "4.1.0.1847") for k, v in OID.items()}


@dataclass(frozen=True)
class Signer:
    key: SigningKey
    der: bytes
    alg: Alg

    @property
    def kid(self) -> bytes:
        return dsc_kid(self.der)


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "XX"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _when(t: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, dt.UTC)


@cache
def csca() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A self-signed country signing CA, as a member state's would be."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Test CSCA"))
        .issuer_name(_name("Test CSCA"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_when(NOW - 3650 * DAY))
        .not_valid_after(_when(NOW + 3650 * DAY))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


@cache
def _rsa_key() -> rsa.RSAPrivateKey:
    # RSA generation is the slow part of the suite; one key serves every PS256 signer.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def _ec_key(n: int) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@cache
def make_signer(
    alg: Alg = "ES256",
    kinds: tuple[str, ...] | None = None,
    *,
    valid_from: int = NOW - 365 * DAY,
    valid_until: int = NOW + 365 * DAY,
    variant_oids: bool = False,
    key_index: int = 0,
) -> Signer:
    """A DSC signed by the test CSCA, with the DCC key-usage OIDs for `kinds` (None: no EKU)."""
    ca_key, ca_cert = csca()
    key: SigningKey = _ec_key(key_index) if alg == "ES256" else _rsa_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(f"Test DSC {alg} {kinds}"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_when(valid_from))
        .not_valid_after(_when(valid_until))
    )
    if kinds is not None:
        table = OID_VARIANT if variant_oids else OID
        usages = [x509.ObjectIdentifier(table[k]) for k in kinds]
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    der = builder.sign(ca_key, hashes.SHA256()).public_bytes(Encoding.DER)
    return Signer(key, der, alg)


def entry(kind: str) -> dict[str, Any]:
    if kind == "v":
        return {
            "tg": "840539006", "vp": "1119349007", "mp": "EU/1/20/1528", "ma": "ORG-100030215",
            "dn": 2, "sd": 2, "dt": "2021-04-21", "co": "NL", "is": "Ministry of Health",
            "ci": "URN:UVCI:01:NL:PlA8UWS60Z4RZXVALl6GAZ#P",
        }  # fmt: skip
    if kind == "t":
        return {
            "tg": "840539006", "tt": "LP6464-4", "nm": "Roche LightCycler",
            "sc": "2021-04-13T14:20:00Z", "tr": "260415000", "tc": "GGD Fryslân",
            "co": "NL", "is": "Ministry of Health",
            "ci": "URN:UVCI:01:NL:GGD/81AAH16AZ#V",
        }  # fmt: skip
    return {
        "tg": "840539006", "fr": "2021-01-01", "co": "NL", "is": "Ministry of Health",
        "df": "2021-01-12", "du": "2021-07-01", "ci": "URN:UVCI:01:NL:LSP/REC/1289821#E",
    }  # fmt: skip


def dcc_body(kind: str = "v") -> dict[str, Any]:
    return {
        "ver": "1.3.0",
        "nam": {"fn": "Smi-Jansen", "gn": "Erika Mária", "fnt": "SMI<JANSEN", "gnt": "ERIKA<MARIA"},
        "dob": "1964-08-12",
        kind: [entry(kind)],
    }


@dataclass
class Parts:
    """A DCC taken apart so any piece can be replaced before it is signed and encoded."""

    header: dict[Any, Any]
    unprotected: Any
    claims: dict[Any, Any]
    dcc: dict[Any, Any]
    payload: Any = None  # replaces the encoded claims when set
    signature: Any = None  # replaces the real signature when set
    protected: Any = None  # replaces the encoded protected header when set
    tags: tuple[int, ...] = (COSE_SIGN1_TAG,)
    extra: dict[str, Any] = field(default_factory=dict)


def good_parts(signer: Signer, kind: str = "v", *, iat: int = NOW - DAY) -> Parts:
    dcc = dcc_body(kind)
    return Parts(
        header={HDR_ALG: ES256 if signer.alg == "ES256" else PS256, HDR_KID: signer.kid},
        unprotected={},
        claims={CWT_ISS: "NL", CWT_IAT: iat, CWT_EXP: iat + 180 * DAY, CWT_HCERT: {1: dcc}},
        dcc=dcc,
    )


def sign(signer: Signer, data: bytes) -> bytes:
    key = signer.key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    pss = padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH)
    return key.sign(data, pss, hashes.SHA256())


def cose_bytes(signer: Signer, parts: Parts) -> bytes:
    protected = parts.protected
    if protected is None:
        protected = cbor2.dumps(parts.header)
    payload = parts.payload
    if payload is None:
        payload = cbor2.dumps(parts.claims)
    signature = parts.signature
    if signature is None:
        # Signed over whatever the fields are, as an issuer with a bug (or a stolen key) would.
        signed_payload = payload if isinstance(payload, bytes) else cbor2.dumps(payload)
        signed_header = protected if isinstance(protected, bytes) else cbor2.dumps(protected)
        structure = cbor2.dumps(["Signature1", signed_header, b"", signed_payload])
        signature = sign(signer, structure)
    message: Any = [protected, parts.unprotected, payload, signature]
    for tag in parts.tags:
        message = cbor2.CBORTag(tag, message)
    return cbor2.dumps(message)


def to_text(raw: bytes, *, compress: bool = True) -> str:
    data = zlib.compress(raw, 9) if compress else raw
    encoded: bytes = base45.b45encode(data)
    return PREFIX + encoded.decode("ascii")


def issue(signer: Signer, parts: Parts | None = None, *, kind: str = "v") -> str:
    """The QR text of a DCC signed by `signer` (a good one unless `parts` was edited)."""
    return to_text(cose_bytes(signer, parts or good_parts(signer, kind)))


def kid_unprotected_only(signer: Signer, kind: str = "v") -> Parts:
    parts = good_parts(signer, kind)
    parts.unprotected = {HDR_KID: parts.header.pop(HDR_KID)}
    return parts


def with_tags(signer: Signer, tags: tuple[int, ...]) -> Parts:
    parts = good_parts(signer)
    parts.tags = tags
    return parts


CWT_TAGS = [(), (COSE_SIGN1_TAG,), (COSE_SIGN1_TAG, CWT_TAG)]


def zlib_bomb(size: int) -> bytes:
    """A zlib stream of `size` zero bytes, built without holding them: ~1/1000 of `size`."""
    deflater = zlib.compressobj(9)
    chunk = bytes(64 * 1024)
    out = [deflater.compress(chunk) for _ in range(size // len(chunk))]
    out.append(deflater.flush())
    return b"".join(out)


def bomb(size: int = 2_500_000) -> str:
    """An HC1 text that fits a QR code yet inflates to `size` bytes: a decompression bomb."""
    return to_text(zlib_bomb(size), compress=False)


def deep_copy(parts: Parts) -> Parts:
    return copy.deepcopy(parts)


# Where a fuzz test can put a hostile value: the envelope, and each signed claim and field.
ENVELOPE = ["alg", "kid", "header extra", "header", "unprotected", "payload", "signature"]
CLAIMS = {"iss": CWT_ISS, "iat": CWT_IAT, "exp": CWT_EXP, "hcert": CWT_HCERT}
FIELDS = ["ver", "nam", "dob", "v", "t", "r", "fnt", "gnt", "fn", "gn", "entry"]
ENTRY_FIELDS = ["tg", "vp", "mp", "ma", "dn", "sd", "dt", "co", "is", "ci", "extra"]
SIGNED = [
    "payload cbor",
    *(f"claim {c}" for c in CLAIMS),
    "claim extra",
    "hcert 1",
    "hcert extra",
    *(f"dcc {f}" for f in FIELDS),
    *(f"v {f}" for f in ENTRY_FIELDS),
]
POSITIONS = ENVELOPE + SIGNED


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
    elif position in ("unprotected", "payload", "signature"):
        setattr(parts, position, value)
    elif position == "payload cbor":
        parts.payload = cbor2.dumps(value)
    elif where == "claim":
        parts.claims[CLAIMS.get(name, extra_key)] = value
    elif where == "hcert":
        parts.claims[CWT_HCERT] = {1 if name == "1" else extra_key: value}
    elif where == "dcc" and name in ("fnt", "gnt", "fn", "gn"):
        parts.dcc["nam"] = {**_as_map(parts.dcc.get("nam")), name: value}
    elif where == "dcc" and name == "entry":
        parts.dcc["v"] = [value]
    elif where == "dcc":
        parts.dcc[name] = value
    else:
        v = parts.dcc.get("v")
        first = _as_map(v[0] if isinstance(v, list) and v else None)
        parts.dcc["v"] = [{**first, (extra_key if name == "extra" else name): value}]


def _as_map(value: Any) -> dict[Any, Any]:
    # An earlier edit may have put a non-map where this one edits inside a map.
    return dict(value) if isinstance(value, dict) else {}


def unsupported_key_der(signer: Signer) -> bytes:
    """The signer's DSC with its key's algorithm OID made 1.2.840.10045.2.9, which the
    cryptography library cannot load: a certificate from a newer or odder issuer."""
    ec_public_key = bytes.fromhex("06072a8648ce3d0201")  # 1.2.840.10045.2.1, id-ecPublicKey
    assert signer.der.count(ec_public_key) == 1
    return signer.der.replace(ec_public_key, ec_public_key[:-1] + b"\x09")


def bad_subject_der(signer: Signer) -> bytes:
    """The signer's DSC with its names' country as a UTF8String of invalid UTF-8: it loads,
    and fails only when its subject is read (the library parses names lazily)."""
    country = b"\x13\x02XX"  # PrintableString "XX", in the issuer's name and the subject's
    assert signer.der.count(country) == 2
    return signer.der.replace(country, b"\x0c\x02\xc3\x28")
