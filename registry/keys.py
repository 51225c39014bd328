"""The registry's keys: issuer keys, list-signing key, ID-sealing key, subject secret."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from checkin_protocol.keys import (
    PrivateKey,
    generate_key,
    key_id,
    load_private_key,
    write_private_key,
    write_public_key,
)
from checkin_protocol.privacy import SubjectHasher, ensure_secret, read_secret
from checkin_protocol.records import Subject, SubjectKind
from checkin_protocol.sealing import IdKdf, open_sealed

log = logging.getLogger(__name__)

LIST_KEY = "lists.key"
LIST_PUB = "lists.pub"
# The registry's own: kiosks no longer need it (they seal ID numbers to SEAL_KEY instead), and
# a deployment that copied it to kiosks before should take it off them.
SUBJECT_KEY = "subject.key"
# X25519 private key (hex of the raw 32 bytes) that opens kiosks' sealed subjects. Keys that
# were replaced stay as `seal-*.key` so records sealed to them still open.
SEAL_KEY = "seal.key"
# ChaCha20-Poly1305 key (hex) of declarations' personal fields (registry.core.sealed_fields):
# in this folder, never in the database, so a database copy reads no name, phone or answer.
DECLARATION_KEY = "declarations.key"


class RegistryKeys:
    """Files under DATA/keys (folder 0700, private keys 0600)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._sealing: list[X25519PrivateKey] | None = None

    def create(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        if not (self.folder / LIST_KEY).exists():
            key = generate_key("ES256")
            write_private_key(self.folder / LIST_KEY, key)
            write_public_key(self.folder / LIST_PUB, key.public_key())
        ensure_secret(self.folder / SUBJECT_KEY)
        ensure_secret(self.folder / SEAL_KEY)
        ensure_secret(self.folder / DECLARATION_KEY)

    def new_issuer_key(self) -> tuple[str, PrivateKey]:
        key = generate_key("ES256")
        kid = key_id(key.public_key()).hex()
        write_private_key(self.folder / f"issuer-{kid}.key", key)
        write_public_key(self.folder / f"issuer-{kid}.pub", key.public_key())
        return kid, key

    def issuer_key(self, kid: str) -> PrivateKey:
        return load_private_key(self.folder / f"issuer-{kid}.key")

    def list_key(self) -> PrivateKey:
        return load_private_key(self.folder / LIST_KEY)

    def hasher(self) -> SubjectHasher:
        return SubjectHasher(ensure_secret(self.folder / SUBJECT_KEY))

    def sealing_keys(self) -> list[X25519PrivateKey]:
        """The current sealing key first, then any retired ones (`seal-*.key`).

        Read once per process: ingest opens every record's subject with them.
        """
        if self._sealing is None:
            self._sealing = self._load_sealing()
        return self._sealing

    def _load_sealing(self) -> list[X25519PrivateKey]:
        current = ensure_secret(self.folder / SEAL_KEY)
        retired = [read_secret(p) for p in sorted(self.folder.glob("seal-*.key"))]
        return [X25519PrivateKey.from_private_bytes(raw[:32]) for raw in [current, *retired]]

    def sealing_public(self) -> X25519PublicKey:
        return self.sealing_keys()[0].public_key()

    def deny_kdf(self, version: int) -> IdKdf:
        """The deny list's ID-number KDF for a list version: its salt changes with every
        version (a stolen list is brute-forced again for each), yet is the same each time
        this version is signed, and nobody without the subject secret can know it ahead."""
        secret = ensure_secret(self.folder / SUBJECT_KEY)
        label = b"deny-list id salt v1 " + str(version).encode()
        return IdKdf(hmac.new(secret, label, hashlib.sha256).digest()[:16])

    def registry_subject(self, subject: Subject) -> Subject:
        """A kiosk's sealed subject as the registry keeps it: the `idh:` of the number under
        the registry's secret, the same as a declaration or a trace by that number gives.
        One that no key opens is kept sealed (logged): the record is still a record."""
        if subject.kind is not SubjectKind.SEALED:
            return subject
        try:
            number = open_sealed(self.sealing_keys(), subject)
        except ValueError as exc:
            log.warning("sealed subject %s kept as is: %s", subject.masked(), exc)
            return subject
        return self.hasher()(number)
