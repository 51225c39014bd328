"""The registry's keys: pass issuer keys (rotatable), the list-signing key, the subject secret."""

from __future__ import annotations

import os
from pathlib import Path

from kiosk.passes.keys import (
    PrivateKey,
    generate_key,
    key_id,
    load_private_key,
    write_private_key,
    write_public_key,
)
from kiosk.passes.privacy import SubjectHasher, ensure_secret

LIST_KEY = "lists.key"
LIST_PUB = "lists.pub"
SUBJECT_KEY = "subject.key"


class RegistryKeys:
    """Files under DATA/keys (folder 0700, private keys 0600)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def create(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        if not (self.folder / LIST_KEY).exists():
            key = generate_key("ES256")
            write_private_key(self.folder / LIST_KEY, key)
            write_public_key(self.folder / LIST_PUB, key.public_key())
        ensure_secret(self.folder / SUBJECT_KEY)

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
