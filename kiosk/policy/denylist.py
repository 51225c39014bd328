"""Deny lists: the venue's file and the registry's signed list, ID numbers never kept as such."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from checkin_protocol.dcc import DccCertificate, HashType
from checkin_protocol.documents import ListDocument
from checkin_protocol.privacy import normalize_id_number
from checkin_protocol.records import Subject, SubjectKind
from checkin_protocol.sealing import IdKdf, public_key_from_text
from kiosk.config.trust import DCC_HASH_PATTERN, DenyFile
from kiosk.config.yamlfile import load_model

log = logging.getLogger(__name__)
T = TypeVar("T")


DccKey = tuple[HashType, str]


def dcc_keys(cert: DccCertificate) -> list[DccKey]:
    """Every revocation key a certificate can be listed under, one per hash type."""
    return [(kind, cert.uvci_hash(kind)) for kind in HashType]


@dataclass(frozen=True)
class Barred:
    """What the kiosk may know of an entry: the public reason (or `denied`) and its end."""

    reason: str
    expires: int | None = None

    def live(self, now: float) -> bool:
        return self.expires is None or now < self.expires


@dataclass(frozen=True)
class RemoteDeny:
    """The registry's deny list as installed: subjects, scrypt keys of ID numbers, and the
    two ID parameters the signed document carries (the KDF and the registry's sealing key)."""

    subjects: dict[Subject, Barred] = field(default_factory=dict)
    ids: dict[str, Barred] = field(default_factory=dict)
    kdf: IdKdf | None = None
    seal_key: X25519PublicKey | None = None
    dccs: dict[DccKey, Barred] = field(default_factory=dict)

    @classmethod
    def from_document(cls, doc: ListDocument) -> RemoteDeny:
        """Entries that cannot be used are logged and skipped, as are bad ID parameters."""
        kdf = _attribute(doc, "id_kdf", IdKdf.from_json)
        seal = _attribute(doc, "seal_key", lambda v: public_key_from_text(str(v)))
        subjects: dict[Subject, Barred] = {}
        ids: dict[str, Barred] = {}
        dccs: dict[DccKey, Barred] = {}
        for e in doc.entries:
            try:
                barred = _barred(e)
                if "id_key" in e:
                    ids[str(e["id_key"])] = barred
                elif "dcc_hash" in e:
                    dccs[_dcc_key(e)] = barred
                else:
                    subjects[Subject.parse(str(e["subject"]))] = barred
            except (KeyError, ValueError, TypeError) as exc:
                log.error("deny list entry unusable: %s", exc)
        if ids and kdf is None:
            log.error("deny list has %d ID entries but no usable id_kdf", len(ids))
        return cls(subjects, ids, kdf, seal, dccs)


def _dcc_key(entry: dict[str, Any]) -> DccKey:
    value = str(entry["dcc_hash"])
    if not re.fullmatch(DCC_HASH_PATTERN, value):
        raise ValueError("dcc_hash is not 16 bytes in base64")
    return HashType(str(entry.get("hash_type", HashType.UCI.value))), value


def _attribute(doc: ListDocument, name: str, parse: Callable[[Any], T]) -> T | None:
    """A document field parsed, or None (logged) if absent or unusable: one bad field must
    not take the other, or the list's pass entries, with it."""
    if name not in doc.attributes:
        return None
    try:
        return parse(doc.attributes[name])
    except ValueError as exc:
        log.error("deny list %s unusable: %s", name, exc)
        return None


def _barred(entry: dict[str, Any]) -> Barred:
    # A private entry carries no reason code (a kiosk only refuses, and a stolen kiosk must
    # not learn who is a health risk); an old list's reason code is kept only if public.
    public = entry.get("public") is True and "reason_code" in entry
    reason = str(entry["reason_code"]) if public else "denied"
    expires = entry.get("expires")
    if expires is not None and (isinstance(expires, bool) or not isinstance(expires, int)):
        raise ValueError("expires is epoch seconds")
    return Barred(reason, expires)


class DenyList:
    """Subject key → reason: the venue's own file, and the registry's deny list (swapped whole).

    The venue file's ID numbers are kept only as an HMAC under a key that lives in this
    process's memory: nothing on disk can be checked against a guessed number (the file
    itself is the venue's, written by its staff).
    """

    def __init__(
        self,
        entries: dict[Subject, str] | None = None,
        id_numbers: dict[str, str] | None = None,
        dccs: dict[DccKey, str] | None = None,
    ) -> None:
        self._entries = dict(entries or {})
        self._pepper = os.urandom(32)
        self._local_ids = {self._local_key(n): r for n, r in (id_numbers or {}).items()}
        self._remote = RemoteDeny()
        self._dccs = dict(dccs or {})

    def _local_key(self, id_number: str) -> bytes:
        number = normalize_id_number(id_number)
        return hmac.new(self._pepper, number.encode(), hashlib.sha256).digest()

    def set_remote(self, remote: RemoteDeny) -> None:
        self._remote = remote

    def sealing_key(self) -> X25519PublicKey | None:
        return self._remote.seal_key

    @classmethod
    def load(cls, path: Path) -> DenyList:
        """Raises kiosk.config.yamlfile.ConfigError with FILE:LINE issues."""
        entries: dict[Subject, str] = {}
        ids: dict[str, str] = {}
        dccs: dict[DccKey, str] = {}
        for e in load_model(path, DenyFile).root:
            if e.dcc_hash:
                dccs[(e.hash_type, e.dcc_hash)] = e.reason
            elif e.pass_id:
                entries[Subject(SubjectKind.PASS, e.pass_id.lower())] = e.reason
            elif e.qid:
                entries[Subject(SubjectKind.QID, e.qid)] = e.reason
            elif e.id_number:
                ids[e.id_number] = e.reason
            else:
                entries[Subject.parse(str(e.subject))] = e.reason
        return cls(entries, ids, dccs)

    def reason_for_dcc(self, cert: DccCertificate, now: float) -> str | None:
        """Whether a DCC is revoked, under any of the hash types its entries may use."""
        for key in dcc_keys(cert):
            local = self._dccs.get(key)
            if local is not None:
                return local
            barred = self._remote.dccs.get(key)
            if barred is not None and barred.live(now):
                return barred.reason
        return None

    def reason_for(self, subject: Subject, now: float) -> str | None:
        local = self._entries.get(subject)
        if local is not None:
            return local
        barred = self._remote.subjects.get(subject)
        return barred.reason if barred is not None and barred.live(now) else None

    def reason_for_id(self, id_number: str, now: float) -> str | None:
        """Whether an ID number is barred: one scrypt derivation, then set lookups."""
        local = self._local_ids.get(self._local_key(id_number))
        if local is not None:
            return local
        remote = self._remote
        if remote.kdf is None or not remote.ids:
            return None
        barred = remote.ids.get(remote.kdf.derive(normalize_id_number(id_number)))
        return barred.reason if barred is not None and barred.live(now) else None

    def __len__(self) -> int:
        remote = self._remote
        return (
            len(self._entries.keys() | remote.subjects.keys())
            + len(self._local_ids.keys() | remote.ids.keys())
            + len(self._dccs.keys() | remote.dccs.keys())
        )
