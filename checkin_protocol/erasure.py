"""Erasure digests: how the signed deny list names what a person's erasure removes, unnamed."""

from __future__ import annotations

import hashlib

# The deny list's attribute listing the digests of what kiosks delete: records by id, and
# records by subject. A digest, not the value: the list tells a kiosk what to delete, and a
# stolen list tells nobody whose pass it was.
ERASE_ATTRIBUTE = "erase"
DIGEST_LENGTH = 32


def erasure_digest(text: str) -> str:
    """The digest of a record key (`record_key`) or a subject (`pass:…`, `idh:…`)."""
    return hashlib.sha256(b"erase v1 " + text.encode()).hexdigest()[:DIGEST_LENGTH]


def record_key(record_id: str) -> str:
    return f"record:{record_id}"
