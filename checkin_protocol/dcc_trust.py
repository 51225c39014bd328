"""Document Signer Certificates (DSCs) trusted to sign EU Digital COVID Certificates, by kid."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding

Kind = Literal["v", "t", "r"]

# The DCC key-usage OIDs, in both the spec's form and the variant with an extra ".0" that some
# member states issued and the EU test data uses (both are honoured by the reference apps).
_EKU_KIND: dict[str, Kind] = {}
for _base in ("1.3.6.1.4.1.1847.2021.1", "1.3.6.1.4.1.0.1847.2021.1"):
    _EKU_KIND[_base + ".1"] = "t"
    _EKU_KIND[_base + ".2"] = "v"
    _EKU_KIND[_base + ".3"] = "r"

# A trust list from a gateway mirror is a few MB for all of Europe; more is not a trust list.
MAX_TRUST_LIST = 64 * 1024 * 1024
MAX_CERT_DER = 16 * 1024
CERTIFICATE_SUFFIXES = (".pem", ".crt", ".cer", ".der")

DscKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


class DccTrustError(ValueError):
    """A certificate or trust list that cannot be trusted; the message says which and why."""


class DscExpired(DccTrustError):
    """A well-formed DSC past its notAfter: refused alone, skipped (and reported) in a list."""


def dsc_kid(der: bytes) -> bytes:
    """The DCC key id of a DSC: the first 8 bytes of SHA-256 of its DER encoding."""
    return hashlib.sha256(der).digest()[:8]


@dataclass(frozen=True)
class Dsc:
    kid: bytes
    der: bytes
    key: DscKey
    not_before: int
    not_after: int
    # None when the DSC has none of the DCC key-usage OIDs: then it may sign every kind.
    kinds: frozenset[Kind] | None
    country: str | None

    def valid_at(self, now: int) -> bool:
        return self.not_before <= now <= self.not_after


def _timestamp(value: dt.datetime) -> int:
    # The *_utc accessors return aware datetimes, so timestamp() needs no local-time guess.
    return int(value.timestamp())


def _der_items(data: bytes) -> list[tuple[int, bytes]]:
    """The (tag, content) of each DER element in `data`, in order; ValueError if malformed."""
    items, i = [], 0
    while i < len(data):
        if i + 2 > len(data):
            raise ValueError("truncated DER element")
        tag, length, i = data[i], data[i + 1], i + 2
        if length & 0x80:
            count = length & 0x7F
            if not 0 < count <= 4 or i + count > len(data):
                raise ValueError("bad DER length")
            length, i = int.from_bytes(data[i : i + count], "big"), i + count
        if i + length > len(data):
            raise ValueError("truncated DER element")
        items.append((tag, data[i : i + length]))
        i += length
    return items


_EKU_OID = bytes([0x06, 0x03, 0x55, 0x1D, 0x25])  # 2.5.29.37, extKeyUsage
_EMPTY_SEQUENCE = bytes([0x30, 0x00])


def _der(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def _without_empty_key_usage(cert: x509.Certificate) -> x509.Certificate | None:
    """The certificate with an extended key usage that lists no OID taken out, or None if it
    has no such extension. RFC 5280 wants at least one OID; OpenSSL and the EU's reference
    verifiers load such a DSC and read it as no restriction (the EU test data's CO15, "no
    OID present"). Only that mistake is forgiven: the rest must still parse, which loading
    the certificate without it then checks. (The copy's signature no longer matches; a DSC's
    own signature is not what the kiosk trusts it by, and its kid stays that of the original.)"""
    try:
        return _rebuilt(cert)
    except IndexError as exc:  # an extension with no parts
        raise ValueError("malformed extensions") from exc


def _rebuilt(cert: x509.Certificate) -> x509.Certificate | None:
    ((_, tbs),) = _der_items(cert.tbs_certificate_bytes)
    fields = _der_items(tbs)
    rebuilt, found = [], False
    for tag, content in fields:
        if tag == 0xA3:  # [3] EXPLICIT extensions
            ((_, extensions),) = _der_items(content)
            kept = []
            for ext_tag, extension in _der_items(extensions):
                parts = _der_items(extension)
                oid = _der(parts[0][0], parts[0][1])
                if oid == _EKU_OID and parts[-1] == (0x04, _EMPTY_SEQUENCE):
                    found = True
                    continue
                kept.append(_der(ext_tag, extension))
            content = _der(0x30, b"".join(kept))
        rebuilt.append(_der(tag, content))
    if not found:
        return None
    ((_, whole),) = _der_items(cert.public_bytes(Encoding.DER))
    _, algorithm, signature = _der_items(whole)
    tbs_der = _der(0x30, b"".join(rebuilt))
    der = _der(0x30, tbs_der + _der(*algorithm) + _der(*signature))
    return x509.load_der_x509_certificate(der)


def _kinds(cert: x509.Certificate) -> frozenset[Kind] | None:
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return None
    except ValueError:
        repaired = _without_empty_key_usage(cert)
        if repaired is None:
            raise
        return _kinds(repaired)  # raises if another extension is malformed
    kinds = frozenset(_EKU_KIND[oid.dotted_string] for oid in eku if oid.dotted_string in _EKU_KIND)
    return kinds or None


def _country(cert: x509.Certificate) -> str | None:
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COUNTRY_NAME)
    value = names[0].value if names else None
    return value if isinstance(value, str) else None


def _public_key(cert: x509.Certificate) -> DscKey:
    try:
        key = cert.public_key()
    except (UnsupportedAlgorithm, ValueError) as exc:
        # An algorithm the library cannot load (e.g. OID 1.2.840.10045.2.9) cannot sign a DCC.
        raise DccTrustError(f"the certificate's key algorithm is not supported ({exc})") from exc
    # ES256 needs P-256; PS256 needs RSA, and below 2048 bits it is not a signature worth trusting.
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return key
    if isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048:
        return key
    raise DccTrustError("the certificate's key is neither EC P-256 nor RSA of 2048 bits or more")


def read_dsc(der: bytes, *, now: int, expected_kid: bytes | None = None) -> Dsc:
    """Parse and check one DSC for import; refuses malformed, expired or mislabelled ones."""
    if not isinstance(der, bytes) or not 0 < len(der) <= MAX_CERT_DER:
        raise DccTrustError("the certificate is empty or too large")
    try:
        cert = x509.load_der_x509_certificate(der)
        not_before = _timestamp(cert.not_valid_before_utc)
        not_after = _timestamp(cert.not_valid_after_utc)
        kinds = _kinds(cert)
        country = _country(cert)  # the subject is parsed only when read: read it here
    # InvalidVersion is no ValueError: a version field other than v1 or v3 raised it through.
    except (ValueError, TypeError, x509.InvalidVersion) as exc:
        raise DccTrustError(f"not a valid X.509 certificate ({exc})") from exc
    kid = dsc_kid(der)
    # A gateway names each DSC by kid; one that does not match its DER is refused rather than
    # filed under a kid a verifier would never find (or under a kid of someone else's).
    if expected_kid is not None and expected_kid != kid:
        raise DccTrustError(f"listed kid {expected_kid.hex()} is not the certificate's {kid.hex()}")
    if not_after < now:
        when = dt.datetime.fromtimestamp(not_after, dt.UTC).isoformat()
        raise DscExpired(f"certificate {kid.hex()} expired at {when}")
    try:
        key = _public_key(cert)
    except DccTrustError as exc:
        raise DccTrustError(f"certificate {kid.hex()}: {exc}") from exc
    return Dsc(kid, der, key, not_before, not_after, kinds, country)


def _b64(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise DccTrustError(f"{what} is not a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DccTrustError(f"{what} is not valid base64") from exc


def _list_entries(document: Any) -> list[Any]:
    # Gateway mirrors serve the DSC list either as a bare JSON list (the DGCG /trustList/DSC
    # form) or wrapped as {"certificates": [...]} (national mirrors such as the German one).
    if isinstance(document, dict) and isinstance(document.get("certificates"), list):
        return list(document["certificates"])
    if isinstance(document, list):
        return document
    raise DccTrustError('a trust list is a JSON list or an object with a "certificates" list')


def read_certificate_file(path: Path) -> bytes:
    """A certificate or trust-list file's bytes, bounded; a FIFO or a device is refused unread
    (opening one could block for ever)."""
    if not path.exists():
        raise DccTrustError(f"{path}: no such file")
    if not path.is_file():
        raise DccTrustError(f"{path}: not a regular file")
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_TRUST_LIST + 1)
    except OSError as exc:
        raise DccTrustError(f"{path}: cannot read ({exc.strerror})") from exc
    if len(data) > MAX_TRUST_LIST:
        raise DccTrustError(f"{path}: larger than any certificate file or trust list")
    return data


_UTF8_BOM = b"\xef\xbb\xbf"
_SIGNATURE_LINE = re.compile(rb"[A-Za-z0-9+/]{16,2048}={0,2}\r?\n")


def trust_list_json(data: bytes) -> bytes | None:
    """The JSON of a gateway trust-list file, or None when the file is not one (a certificate).

    Accepted: plain JSON, JSON after a UTF-8 byte-order mark, and the German mirror's form, a
    first line holding a base64 signature over the JSON that follows. That signature is skipped,
    not verified: it is made with the mirror's own key, which this program does not hold; each
    DSC is checked as it is read, and the admin who imports the file vouches for where it came
    from, as for a certificate file. UTF-16 text is refused with a message (save it as UTF-8).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:2].count(b"\0") == 1:
        raise DccTrustError("the file is UTF-16 text; a trust list is read as UTF-8")
    data = data.removeprefix(_UTF8_BOM)
    signed = _SIGNATURE_LINE.match(data)
    if signed and data[signed.end() :].lstrip()[:1] in (b"[", b"{"):
        return data[signed.end() :]
    return data if data.lstrip()[:1] in (b"[", b"{") else None


class DccTrust:
    """The DSCs a verifier accepts, by kid. Several DSCs may share a kid (8 bytes can collide)."""

    def __init__(self, dscs: Iterable[Dsc] = ()) -> None:
        self._by_kid: dict[bytes, list[Dsc]] = {}
        for dsc in dscs:
            self._put(dsc)

    def _put(self, dsc: Dsc) -> None:
        same = self._by_kid.setdefault(dsc.kid, [])
        if all(d.der != dsc.der for d in same):
            same.append(dsc)

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_kid.values())

    def __iter__(self) -> Iterator[Dsc]:
        for dscs in self._by_kid.values():
            yield from dscs

    def candidates(self, kid: bytes) -> tuple[Dsc, ...]:
        return tuple(self._by_kid.get(kid, ()))

    def add_der(self, der: bytes, *, now: int, expected_kid: bytes | None = None) -> Dsc:
        dsc = read_dsc(der, now=now, expected_kid=expected_kid)
        self._put(dsc)
        return dsc

    def add_certificate(self, cert: x509.Certificate, *, now: int) -> Dsc:
        return self.add_der(cert.public_bytes(Encoding.DER), now=now)

    def add_file(self, path: Path, *, now: int) -> list[Dsc]:
        """A PEM file (one or more certificates) or a DER file."""
        data = read_certificate_file(path)
        if b"-----BEGIN CERTIFICATE-----" not in data:
            try:
                return [self.add_der(data, now=now)]
            except DccTrustError as exc:
                raise DccTrustError(f"{path}: {exc}") from exc
        try:
            certs = x509.load_pem_x509_certificates(data)
        except ValueError as exc:
            raise DccTrustError(f"{path}: not a valid PEM certificate file ({exc})") from exc
        try:
            return [self.add_certificate(c, now=now) for c in certs]
        except DccTrustError as exc:
            raise DccTrustError(f"{path}: {exc}") from exc

    def add_path(self, path: Path, *, now: int) -> list[Dsc]:
        """A certificate file, or every *.pem, *.crt, *.cer and *.der file in a folder; a folder
        with none is refused (a mistyped folder or an unfinished copy trusts nobody)."""
        if not path.is_dir():
            return self.add_file(path, now=now)
        added: list[Dsc] = []
        for item in sorted(path.iterdir()):
            if item.suffix.lower() in CERTIFICATE_SUFFIXES:
                added.extend(self.add_file(item, now=now))
        if not added:
            names = ", ".join(f"*{s}" for s in CERTIFICATE_SUFFIXES)
            raise DccTrustError(f"{path}: no certificate in this folder ({names})")
        return added

    def add_usable(self, path: Path, *, now: int) -> tuple[list[Dsc], list[str]]:
        """Like `add_path`, but a certificate this verifier cannot use (malformed, an
        unsupported key, not a regular file, unreadable) is skipped and named with why, so
        that one bad DSC never keeps the others, or the door, from working. A folder with no
        certificate file at all is still refused: that is a mistyped path."""
        if not path.is_dir():
            return self._usable_file(path, now=now)
        files = [i for i in sorted(path.iterdir()) if i.suffix.lower() in CERTIFICATE_SUFFIXES]
        if not files:
            names = ", ".join(f"*{s}" for s in CERTIFICATE_SUFFIXES)
            raise DccTrustError(f"{path}: no certificate in this folder ({names})")
        added: list[Dsc] = []
        skipped: list[str] = []
        for item in files:
            dscs, problems = self._usable_file(item, now=now)
            added.extend(dscs)
            skipped.extend(problems)
        return added, skipped

    def _usable_file(self, path: Path, *, now: int) -> tuple[list[Dsc], list[str]]:
        try:
            data = read_certificate_file(path)
        except DccTrustError as exc:
            return [], [str(exc)]
        if b"-----BEGIN CERTIFICATE-----" not in data:
            ders = [data]
        else:
            try:
                certs = x509.load_pem_x509_certificates(data)
            except ValueError as exc:
                return [], [f"{path}: not a valid PEM certificate file ({exc})"]
            ders = [c.public_bytes(Encoding.DER) for c in certs]
        added: list[Dsc] = []
        skipped: list[str] = []
        for n, der in enumerate(ders):
            try:
                added.append(self.add_der(der, now=now))
            except DccTrustError as exc:
                which = f" (certificate {n + 1} of {len(ders)})" if len(ders) > 1 else ""
                skipped.append(f"{path}{which}: {exc}")
        return added, skipped

    def add_trust_list(self, data: bytes | str, *, now: int) -> tuple[list[Dsc], list[str]]:
        """The EU gateway's public DSC list as JSON: entries {kid, rawData | certificate}.

        Returns the DSCs added and a message per expired one skipped (gateway lists keep
        expired DSCs for a while). Any malformed entry refuses the whole list, with the entry
        named, so that a half-imported list never passes for a complete one.
        """
        if len(data) > MAX_TRUST_LIST:
            raise DccTrustError("trust list is too large")
        try:
            document = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise DccTrustError(f"trust list is not valid JSON ({exc})") from exc
        except RecursionError:
            # json nests by recursion: [[[[…]]]] some thousands deep exhausts the stack.
            raise DccTrustError("trust list is nested too deeply to be a trust list") from None
        dscs: list[Dsc] = []
        skipped: list[str] = []
        for n, entry in enumerate(_list_entries(document)):
            if not isinstance(entry, dict):
                raise DccTrustError(f"trust list entry {n} is not an object")
            raw = entry.get("rawData", entry.get("certificate"))
            try:
                der = _b64(raw, "rawData/certificate")
                kid = _b64(entry["kid"], "kid") if "kid" in entry else None
                dscs.append(read_dsc(der, now=now, expected_kid=kid))
            except DscExpired as exc:
                skipped.append(f"trust list entry {n}: {exc}")
            except DccTrustError as exc:
                raise DccTrustError(f"trust list entry {n}: {exc}") from exc
        for dsc in dscs:
            self._put(dsc)
        return dscs, skipped


def dscs_to_document(dscs: Iterable[Dsc]) -> list[dict[str, str]]:
    """DSCs as the registry's trust list carries them (its `dcc_signers` attribute)."""
    return [
        {"kid": base64.b64encode(d.kid).decode(), "rawData": base64.b64encode(d.der).decode()}
        for d in dscs
    ]


def dscs_from_document(value: object) -> tuple[list[Dsc], list[str]]:
    """The DSCs of a trust list's `dcc_signers`, and a message per unusable entry.

    Expiry is not judged here (now=0): verification refuses a DSC outside its validity at the
    time of the scan, which `kiosk scan --at` may set in the past.
    """
    if value is None:
        return [], []
    if not isinstance(value, list):
        return [], ["dcc_signers is not a list"]
    dscs: list[Dsc] = []
    problems: list[str] = []
    for n, entry in enumerate(value):
        try:
            if not isinstance(entry, dict):
                raise DccTrustError("not an object")
            kid = _b64(entry.get("kid"), "kid")
            dscs.append(read_dsc(_b64(entry.get("rawData"), "rawData"), now=0, expected_kid=kid))
        except DccTrustError as exc:
            problems.append(f"entry {n}: {exc}")
    return dscs, problems


__all__ = [
    "DccTrust",
    "DccTrustError",
    "Dsc",
    "DscExpired",
    "Kind",
    "dsc_kid",
    "dscs_from_document",
    "dscs_to_document",
    "read_certificate_file",
    "read_dsc",
    "trust_list_json",
]
