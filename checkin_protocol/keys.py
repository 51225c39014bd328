"""Issuer key pairs: generation, key ids, and PEM files with safe permissions."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
Algorithm = Literal["ES256", "Ed25519"]

# COSE algorithm identifiers (RFC 9053): ES256 = -7, EdDSA = -8.
COSE_ALG = {"ES256": -7, "Ed25519": -8}


def generate_key(alg: Algorithm = "ES256") -> PrivateKey:
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    return ed25519.Ed25519PrivateKey.generate()


def algorithm_of(key: PublicKey | PrivateKey) -> Algorithm:
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise ValueError(f"EC key on {key.curve.name}; only P-256 (ES256) is supported")
        return "ES256"
    return "Ed25519"


def public_der(key: PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_id(key: PublicKey) -> bytes:
    """First 8 bytes of SHA-256 over the DER SubjectPublicKeyInfo."""
    return hashlib.sha256(public_der(key)).digest()[:8]


def write_private_key(path: Path, key: PrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Created 0600 from the start (not chmod after): the key is never readable by others.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)


def write_public_key(path: Path, key: PublicKey) -> None:
    path.write_bytes(
        key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def load_private_key(path: Path) -> PrivateKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path} is not an unencrypted PEM private key") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise ValueError(f"{path}: only P-256 and Ed25519 keys are supported")
    algorithm_of(key)
    return key


def load_public_key(path: Path) -> PublicKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path} is not a PEM public key") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        raise ValueError(f"{path}: only P-256 and Ed25519 keys are supported")
    algorithm_of(key)
    return key


class TrustStore:
    """Issuer public keys by key id: the venue's own files, and the registry's trust list.

    The registry's part is replaced whole by the sync thread; reading a dict that another
    thread swaps out is atomic in CPython, so lookups need no lock.
    """

    def __init__(self, keys: list[PublicKey]) -> None:
        self._keys = {key_id(k): k for k in keys}
        self._remote: dict[bytes, PublicKey] = {}

    def set_remote(self, keys: list[PublicKey]) -> None:
        self._remote = {key_id(k): k for k in keys}

    @classmethod
    def from_files(cls, paths: list[Path]) -> TrustStore:
        return cls([load_public_key(p) for p in paths])

    def get(self, kid: bytes) -> PublicKey | None:
        return self._keys.get(kid) or self._remote.get(kid)

    def __len__(self) -> int:
        return len(self._keys.keys() | self._remote.keys())
