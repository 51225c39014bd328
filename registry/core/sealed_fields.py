"""A declaration's personal fields sealed at rest, under a key in the data folder's keys, never
in the database: a copy of the database (a dump, a backup, a replica) reads none of them."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from checkin_protocol.privacy import ensure_secret
from registry.keys import DECLARATION_KEY, RegistryKeys

_AAD = b"declaration fields v1"


def _box(keys: RegistryKeys) -> ChaCha20Poly1305:
    return ChaCha20Poly1305(ensure_secret(keys.folder / DECLARATION_KEY)[:32])


def seal_fields(keys: RegistryKeys, fields: dict[str, Any]) -> str:
    """`fields` as JSON, encrypted (ChaCha20-Poly1305, a random nonce each time): base64url."""
    nonce = os.urandom(12)
    plain = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(nonce + _box(keys).encrypt(nonce, plain, _AAD)).decode()


def open_fields(keys: RegistryKeys, sealed: str) -> dict[str, Any] | None:
    """The fields back, or None where this key does not open them (another registry's key,
    a damaged value): the row is shown as unreadable, never guessed."""
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
        plain = _box(keys).decrypt(raw[:12], raw[12:], _AAD)
    except (ValueError, InvalidTag):
        return None
    found = json.loads(plain)
    return found if isinstance(found, dict) else None
