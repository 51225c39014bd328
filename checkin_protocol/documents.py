"""Signed, versioned list documents (trust list, deny list) as the registry serves them.

An envelope is JSON: {"payload": b64url(canonical JSON), "alg": "ES256"|"Ed25519",
"kid": hex, "signature": b64url}. The payload is {"type", "version", "issued_at",
"valid_until", "entries"} plus optional fields a list type adds (the deny list's `seal_key`
and `id_kdf`), which kiosks that do not know them ignore. Registry and kiosk share this
module so both sides agree on bytes.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from checkin_protocol.keys import PrivateKey, PublicKey, algorithm_of, key_id

TRUST_LIST = "trust-list"
DENY_LIST = "deny-list"
MAX_ENVELOPE = 8 * 1024 * 1024
_CORE_FIELDS = frozenset({"type", "version", "issued_at", "valid_until", "entries"})


class DocumentError(Exception):
    """A list document that must not be used (bad signature, wrong type, rolled back, expired)."""


@dataclass(frozen=True)
class ListDocument:
    type: str
    version: int
    issued_at: int
    valid_until: int
    entries: list[dict[str, Any]]
    envelope: str  # the JSON as received, kept so the kiosk can re-verify it at start
    # Payload fields beyond the five above: older documents have none.
    attributes: dict[str, Any] = field(default_factory=dict)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign_document(
    key: PrivateKey, *, type_: str, version: int, issued_at: int, valid_until: int,
    entries: list[dict[str, Any]], attributes: dict[str, Any] | None = None,
) -> str:  # fmt: skip
    if _CORE_FIELDS & set(attributes or {}):
        raise ValueError("attributes may not replace a document's core fields")
    payload = canonical_json(
        {
            **(attributes or {}),
            "type": type_,
            "version": version,
            "issued_at": issued_at,
            "valid_until": valid_until,
            "entries": entries,
        }
    )
    if isinstance(key, ed25519.Ed25519PrivateKey):
        signature = key.sign(payload)
    else:
        signature = key.sign(payload, ec.ECDSA(hashes.SHA256()))
    public = key.public_key()
    return json.dumps(
        {
            "payload": _b64(payload),
            "alg": algorithm_of(public),
            "kid": key_id(public).hex(),
            "signature": _b64(signature),
        }
    )


def verify_document(envelope: str, key: PublicKey, *, expect_type: str, now: float) -> ListDocument:
    """Verify an envelope against the list-signing key; raises DocumentError."""
    if len(envelope) > MAX_ENVELOPE:
        raise DocumentError("document too large")
    try:
        outer = json.loads(envelope)
        payload = _unb64(outer["payload"])
        signature = _unb64(outer["signature"])
        kid = bytes.fromhex(outer["kid"])
    # RecursionError: arrays nested deeper than the parser goes, from whoever answered.
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise DocumentError(f"not a signed document: {exc}") from exc
    if kid != key_id(key):
        raise DocumentError("signed by a key other than the configured list-signing key")
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, payload)
        else:
            key.verify(signature, payload, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise DocumentError("signature does not verify") from exc
    try:
        body = json.loads(payload)
        doc = ListDocument(
            type=str(body["type"]),
            version=int(body["version"]),
            issued_at=int(body["issued_at"]),
            valid_until=int(body["valid_until"]),
            entries=list(body["entries"]),
            envelope=envelope,
            attributes={k: v for k, v in body.items() if k not in _CORE_FIELDS},
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise DocumentError(f"malformed document: {exc}") from exc
    if doc.type != expect_type:
        raise DocumentError(f"expected a {expect_type}, got a {doc.type}")
    if doc.valid_until < now:
        raise DocumentError("document has expired")
    return doc
