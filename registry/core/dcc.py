"""DCC signers (DSCs): imported by an admin, distributed to kiosks in the signed trust list."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin_protocol.dcc import HashType
from checkin_protocol.dcc_trust import (
    DccTrust,
    DccTrustError,
    Dsc,
    dscs_to_document,
    read_certificate_file,
    read_dsc,
    trust_list_json,
)
from checkin_protocol.documents import DENY_LIST, TRUST_LIST
from registry.core.common import Database, RegistryError, audit, bump_list, iso_ms, now_ms
from registry.db.models import DccSigner, DenyEntry

# A revoked DCC in the deny_entries table: `dcc-UCI:<base64>` (not a subject: no person).
DCC_PREFIX = "dcc-"
DCC_HASH_PATTERN = r"[A-Za-z0-9+/]{22}=="
MAX_REVOKE_DAYS = 3660


def deny_list_entry(key: str) -> dict[str, str] | None:
    """The deny-list fields of a `dcc-TYPE:HASH` row, or None for any other row."""
    if not key.startswith(DCC_PREFIX):
        return None
    hash_type, _, value = key[len(DCC_PREFIX) :].partition(":")
    return {"dcc_hash": value, "hash_type": hash_type}


@dataclass
class Imported:
    added: list[Dsc] = field(default_factory=list)
    known: int = 0
    skipped: list[str] = field(default_factory=list)  # expired entries of a gateway list


def _read(path: Path, now: int) -> tuple[list[Dsc], list[str]]:
    """One file's DSCs: a gateway trust list (JSON), PEM certificates, or one DER certificate."""
    data = read_certificate_file(path)
    try:
        document = trust_list_json(data)
        if document is not None:
            return DccTrust().add_trust_list(document, now=now)
        if b"-----BEGIN CERTIFICATE-----" in data:
            ders = [c.public_bytes(Encoding.DER) for c in x509.load_pem_x509_certificates(data)]
            return [read_dsc(der, now=now) for der in ders], []
        return [read_dsc(data, now=now)], []
    except (DccTrustError, ValueError) as exc:
        raise DccTrustError(f"{path}: {exc}") from exc


class DccSigners:
    def __init__(self, db: Database) -> None:
        self.db = db

    def import_files(self, paths: Sequence[Path], who: str) -> Imported:
        """All or nothing: a malformed or expired certificate anywhere refuses the import
        (RegistryError naming the file); a gateway list's expired entries are only skipped."""
        now = now_ms() // 1000
        result = Imported()
        dscs: list[Dsc] = []
        for path in paths:
            try:
                found, skipped = _read(path, now)
            except DccTrustError as exc:
                raise RegistryError(str(exc)) from None
            dscs += found
            result.skipped += [f"{path}: {s}" for s in skipped]
        with self.db.session.begin() as s:
            for dsc in dscs:
                fingerprint = hashlib.sha256(dsc.der).hexdigest()
                if s.get(DccSigner, fingerprint) is not None:
                    result.known += 1
                    continue
                s.add(
                    DccSigner(
                        fingerprint=fingerprint,
                        kid=dsc.kid.hex(),
                        der=base64.b64encode(dsc.der).decode(),
                        country=dsc.country[:8] if dsc.country else None,
                        not_after_ms=dsc.not_after * 1000,
                        created_ms=now_ms(),
                    )
                )
                s.flush()
                result.added.append(dsc)
            if result.added:
                bump_list(s, TRUST_LIST)
                kids = [d.kid.hex() for d in result.added]
                audit(s, who, "dcc_import", {"kids": kids}, len(kids))
        return result

    def revoke(self, who: str, value: str, hash_type: HashType, days: int) -> dict[str, Any]:
        """Put a DCC on the signed deny list by its revocation hash (private, audited)."""
        if not re.fullmatch(DCC_HASH_PATTERN, value):
            raise RegistryError("a DCC hash is 16 bytes in base64 (22 characters and '==')")
        if not 1 <= days <= MAX_REVOKE_DAYS:
            raise RegistryError(f"days: 1 to {MAX_REVOKE_DAYS}")
        key = f"{DCC_PREFIX}{hash_type.value}:{value}"
        expires = now_ms() + days * 86_400_000
        with self.db.session.begin() as s:
            entry = s.get(DenyEntry, key)
            if entry is None:
                entry = DenyEntry(subject=key, created_ms=now_ms(), public=False)
                s.add(entry)
            entry.reason_code, entry.expires_ms, entry.created_by = "revoked", expires, who
            bump_list(s, DENY_LIST)
            audit(s, who, "dcc_revoke", {"key": key, "days": days}, 1)
        return {"entry": key, "expires": iso_ms(expires)}

    def unrevoke(self, who: str, value: str, hash_type: HashType) -> None:
        key = f"{DCC_PREFIX}{hash_type.value}:{value}"
        with self.db.session.begin() as s:
            entry = s.get(DenyEntry, key)
            if entry is None:
                raise RegistryError(f"no revocation {key}")
            s.delete(entry)
            bump_list(s, DENY_LIST)
            audit(s, who, "dcc_unrevoke", {"key": key}, 1)

    def remove(self, who: str, kid: str) -> int:
        """Stop trusting the imported DSCs with this kid (hex, as `dcc list` shows it): the
        next trust list leaves them out. Several DSCs may share a kid; all go (audited)."""
        with self.db.session.begin() as s:
            rows = s.scalars(select(DccSigner).where(DccSigner.kid == kid.lower())).all()
            if not rows:
                raise RegistryError(f"no imported DSC with kid {kid}")
            for row in rows:
                s.delete(row)
            bump_list(s, TRUST_LIST)
            audit(s, who, "dcc_remove", {"kid": kid.lower()}, len(rows))
            return len(rows)

    def listed(self) -> list[dict[str, Any]]:
        with self.db.session() as s:
            rows = s.scalars(select(DccSigner).order_by(DccSigner.created_ms)).all()
            return [
                {"kid": r.kid, "country": r.country, "valid_until": iso_ms(r.not_after_ms)}
                for r in rows
            ]


def trust_list_signers(s: Session, now: int) -> list[dict[str, str]]:
    """The DSCs still valid, as the trust list's `dcc_signers` attribute carries them."""
    rows = s.scalars(
        select(DccSigner).where(DccSigner.not_after_ms > now * 1000).order_by(DccSigner.fingerprint)
    ).all()
    dscs = [read_dsc(base64.b64decode(r.der), now=0) for r in rows]
    return dscs_to_document(dscs)
