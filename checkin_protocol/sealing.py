"""ID numbers a kiosk may not keep: sealed to the registry, or stretched for the deny list."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from checkin_protocol.records import Subject, SubjectKind

# Sealed subject, version 1: version byte, ephemeral X25519 public key, ChaCha20-Poly1305 of
# the 12-digit number packed into 5 bytes (10**12 < 2**40), tag. 54 bytes = 72 base64url
# characters: `sealed:` + 72 fits the registry's 80-character subject column.
SEALED_V1 = 1
# Version 2 seals a person identified by other means than an ID number (a DCC's standardised
# name and date of birth): the 5 bytes are the first 5 of SHA-256 of that identity, and the
# registry keys its `idh:` on `dcc:` + their hex, a namespace no ID number can fall into.
SEALED_V2 = 2
_ID_BYTES = 5
SEALED_BYTES = 1 + 32 + _ID_BYTES + 16
_INFO = b"checkin sealed id v1"
# The key is new for every message (fresh ephemeral key), so a fixed nonce is never reused
# under one key: the construction of libsodium's sealed box and HPKE's base mode.
_NONCE = bytes(12)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_key_text(key: X25519PublicKey) -> str:
    """The raw 32 bytes, base64url: how the sealing key travels in the signed deny list."""
    return _b64(key.public_bytes_raw())


def public_key_from_text(text: str) -> X25519PublicKey:
    """Raises ValueError for anything that is not a 32-byte X25519 public key."""
    raw = _unb64(text)
    if len(raw) != 32:
        raise ValueError("an X25519 public key is 32 bytes")
    return X25519PublicKey.from_public_bytes(raw)


def _key(shared: bytes, ephemeral: bytes, recipient: bytes) -> ChaCha20Poly1305:
    # Both public keys in the salt bind the key to this exchange (as HPKE's key schedule does).
    okm = HKDF(hashes.SHA256(), 32, salt=ephemeral + recipient, info=_INFO).derive(shared)
    return ChaCha20Poly1305(okm)


def _pack(id12: str) -> bytes:
    if len(id12) != 12 or not all("0" <= ch <= "9" for ch in id12):
        raise ValueError("only a 12-digit ID number is sealed")
    return int(id12).to_bytes(_ID_BYTES, "big")


def seal_id_number(recipient: X25519PublicKey, id12: str) -> Subject:
    """A new, unlinkable `sealed:` subject each call; only the registry's private key opens it."""
    return _seal(recipient, SEALED_V1, _pack(id12))


def seal_identity(recipient: X25519PublicKey, material: bytes) -> Subject:
    """Like seal_id_number, for an identity that is not an ID number (version 2).

    40 bits of the identity's hash: the subject column holds no more, and within a deployment
    two people colliding on name, birth date and 40 bits is rare enough for tracing leads.
    """
    return _seal(recipient, SEALED_V2, hashlib.sha256(material).digest()[:_ID_BYTES])


def _seal(recipient: X25519PublicKey, version: int, plain: bytes) -> Subject:
    ephemeral = X25519PrivateKey.generate()
    eph = ephemeral.public_key().public_bytes_raw()
    rcpt = recipient.public_bytes_raw()
    header = bytes([version]) + eph
    box = _key(ephemeral.exchange(recipient), eph, rcpt).encrypt(_NONCE, plain, header)
    return Subject(SubjectKind.SEALED, _b64(header + box))


def open_sealed(keys: Iterable[X25519PrivateKey], subject: Subject) -> str:
    """The 12-digit number in a sealed subject, trying each key (current and retired);
    for a version 2 subject `dcc:` and the identity hash's hex.

    Raises ValueError if it is not a sealed subject or no key opens it.
    """
    if subject.kind is not SubjectKind.SEALED:
        raise ValueError("not a sealed subject")
    raw = _unb64(subject.value)
    if len(raw) != SEALED_BYTES or raw[0] not in (SEALED_V1, SEALED_V2):
        raise ValueError("not a version 1 or 2 sealed subject")
    header, eph, box = raw[:33], raw[1:33], raw[33:]
    peer = X25519PublicKey.from_public_bytes(eph)
    for key in keys:
        rcpt = key.public_key().public_bytes_raw()
        try:
            plain = _key(key.exchange(peer), eph, rcpt).decrypt(_NONCE, box, header)
        except (InvalidTag, ValueError):
            continue
        if raw[0] == SEALED_V2:
            return "dcc:" + plain.hex()
        return f"{int.from_bytes(plain, 'big'):012d}"
    raise ValueError("no sealing key opens this subject")


# Parameters a kiosk accepts from a deny list: the list is signed, but a mistake must not
# make every scan take seconds or exhaust a 2 GB Raspberry Pi.
MAX_N = 2**16
MAX_R = 16
MAX_P = 4
MAX_MEMORY = 64 * 1024 * 1024


@dataclass(frozen=True)
class IdKdf:
    """scrypt over a normalised ID number, with the deny list's salt (new with each version).

    Memory-hard and salted per list: a stolen list must be brute-forced anew for each
    version, at the full scrypt price per candidate number.
    """

    salt: bytes
    n: int = 2**13
    r: int = 8
    p: int = 1

    def __post_init__(self) -> None:
        if not 16 <= len(self.salt) <= 64:
            raise ValueError("salt: 16 to 64 bytes")
        if not (2 <= self.n <= MAX_N and self.n & (self.n - 1) == 0):
            raise ValueError(f"n: a power of two up to {MAX_N}")
        if not (1 <= self.r <= MAX_R and 1 <= self.p <= MAX_P):
            raise ValueError(f"r: 1 to {MAX_R}, p: 1 to {MAX_P}")
        if 128 * self.n * self.r * (self.p + 1) > MAX_MEMORY:
            raise ValueError("scrypt parameters need too much memory")

    def derive(self, id_number: str) -> str:
        """The deny-list key of a normalised ID number (base64url of 16 bytes)."""
        digest = hashlib.scrypt(
            id_number.encode(),
            salt=self.salt,
            n=self.n,
            r=self.r,
            p=self.p,
            maxmem=MAX_MEMORY + 1024 * 1024,
            dklen=16,
        )
        return _b64(digest)

    def to_json(self) -> dict[str, Any]:
        return {"alg": "scrypt", "salt": _b64(self.salt), "n": self.n, "r": self.r, "p": self.p}

    @classmethod
    def from_json(cls, value: Any) -> IdKdf:
        """Raises ValueError for an unknown algorithm or parameters out of bounds."""
        if not isinstance(value, dict) or value.get("alg") != "scrypt":
            raise ValueError("id_kdf: only scrypt is known")
        try:
            salt = _unb64(str(value["salt"]))
            return cls(salt, int(value["n"]), int(value["r"]), int(value["p"]))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"id_kdf: {exc}") from exc

    @classmethod
    def fresh(cls) -> IdKdf:
        return cls(os.urandom(16))
