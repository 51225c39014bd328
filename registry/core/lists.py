"""The signed trust and deny list documents kiosks download."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin_protocol.documents import TRUST_LIST, sign_document
from checkin_protocol.erasure import ERASE_ATTRIBUTE
from checkin_protocol.records import Subject, SubjectKind
from checkin_protocol.sealing import IdKdf, open_sealed, public_key_text
from registry.core.common import Database, now_ms
from registry.core.dcc import deny_list_entry, trust_list_signers
from registry.db.models import DenyEntry, Erasure, IssuerKey, ListVersion, SignedList
from registry.keys import RegistryKeys


class Lists:
    def __init__(self, db: Database, keys: RegistryKeys, validity: int) -> None:
        self.db = db
        self.keys = keys
        self.validity = validity
        # Signing on every kiosk poll would cost an ECDSA signature each: documents are cached
        # per name as (version, issued, envelope) until the version moves or they age.
        self._cache: dict[str, tuple[int, int, str]] = {}
        self._lock = threading.Lock()
        self._id_keys: dict[tuple[bytes, str], str] = {}

    def document(self, name: str) -> tuple[int, str]:
        """(version, envelope), re-signed on a new version or when half its validity is gone.

        The document is kept in the database as signed: every process of the registry serves
        the same bytes (and ETag) for a version; the first to need a new one signs it."""
        now = int(time.time())
        # A deny entry that expires changes the list without a new version: re-signed at least
        # hourly, so an expired entry leaves the document within the hour.
        max_age = min(self.validity // 2, 3600)
        with self.db.session() as s:
            version = s.scalar(select(ListVersion.version).where(ListVersion.name == name))
            assert version is not None
            with self._lock:
                cached = self._cache.get(name)
            if cached and cached[0] == version and now - cached[1] < max_age:
                return version, cached[2]
            stored = s.get(SignedList, name)
            if stored is None or stored.version != version or now - stored.issued_s >= max_age:
                self._store(s, name, version, now, self._sign(s, name, version, now), max_age)
                s.expire_all()
                stored = s.get(SignedList, name)
            assert stored is not None
            found = (stored.version, stored.issued_s, stored.body)
        with self._lock:
            self._cache[name] = found
        return found[0], found[2]

    def _sign(self, s: Session, name: str, version: int, now: int) -> str:
        attributes: dict[str, Any] = {}
        if name == TRUST_LIST:
            entries = _trust_entries(s)
            # DCC signers ride along as an attribute: kiosks that do not know it ignore it.
            signers = trust_list_signers(s, now)
            if signers:
                attributes = {"dcc_signers": signers}
        else:
            kdf = self.keys.deny_kdf(version)
            entries = self._deny_entries(s, kdf)
            attributes = {
                "seal_key": public_key_text(self.keys.sealing_public()),
                "id_kdf": kdf.to_json(),
            }
            # People's erasures reach the kiosks here (sorted: no order of requests shows).
            erased = s.scalars(
                select(Erasure.digest).where(Erasure.expires_ms > now_ms()).order_by(Erasure.digest)
            ).all()
            if erased:
                attributes[ERASE_ATTRIBUTE] = list(erased)
        return sign_document(
            self.keys.list_key(),
            type_=name,
            version=version,
            issued_at=now,
            valid_until=now + self.validity,
            entries=entries,
            attributes=attributes,
        )

    def _store(
        self, s: Session, name: str, version: int, now: int, body: str, max_age: int
    ) -> None:
        """Keep a newly signed document unless another process stored one as new first."""
        insert = self.db.insert()(SignedList).values(
            name=name, version=version, issued_s=now, body=body
        )
        mine = insert.excluded
        s.execute(
            insert.on_conflict_do_update(
                index_elements=["name"],
                set_={"version": mine.version, "issued_s": mine.issued_s, "body": mine.body},
                where=(SignedList.version < mine.version)
                | (
                    (SignedList.version == mine.version)
                    & (SignedList.issued_s <= mine.issued_s - max_age)
                ),
            )
        )
        s.commit()

    def _deny_entries(self, s: Session, kdf: IdKdf) -> list[dict[str, Any]]:
        """Pass and QID entries by subject; ID entries as the scrypt key of the number only.

        `idh:` subjects are never sent: their key is the registry's alone. An ID entry made
        before numbers were kept sealed reaches no kiosk (an officer enters it again).
        """
        rows = s.scalars(
            select(DenyEntry).where(DenyEntry.expires_ms > now_ms()).order_by(DenyEntry.subject)
        )
        entries = []
        for d in rows:
            dcc = deny_list_entry(d.subject)
            if dcc is not None:
                entries.append({**_deny_entry(d, "dcc_hash", dcc["dcc_hash"]), **dcc})
            elif d.sealed_id:
                entries.append(_deny_entry(d, "id_key", self._id_key(kdf, d.sealed_id)))
            elif not d.subject.startswith(f"{SubjectKind.ID_HASH.value}:"):
                entries.append(_deny_entry(d, "subject", d.subject))
        # Sorted by key: the order of entries tells nothing about when they were made.
        return sorted(
            entries, key=lambda e: str(e.get("id_key") or e.get("subject") or e["dcc_hash"])
        )

    def _id_key(self, kdf: IdKdf, sealed: str) -> str:
        # One scrypt per ID entry and list version (a few tens of ms each), remembered for
        # the re-signing of the same version.
        with self._lock:
            known = self._id_keys.get((kdf.salt, sealed))
        if known is None:
            number = open_sealed(self.keys.sealing_keys(), Subject.parse(sealed))
            known = kdf.derive(number)
            with self._lock:
                self._id_keys = {k: v for k, v in self._id_keys.items() if k[0] == kdf.salt}
                self._id_keys[(kdf.salt, sealed)] = known
        return known


def _trust_entries(s: Session) -> list[dict[str, Any]]:
    """The issuer keys trusted now, to the millisecond: a key revoked a moment ago is out of
    the list signed next (the list's issue time is in whole seconds)."""
    rows = s.scalars(
        select(IssuerKey)
        .where((IssuerKey.trusted_until_ms.is_(None)) | (IssuerKey.trusted_until_ms > now_ms()))
        .order_by(IssuerKey.created_ms)
    )
    return [
        {
            "kid": k.kid,
            "alg": k.alg,
            "public_key": k.public_pem,
            "valid_until": k.trusted_until_ms // 1000 if k.trusted_until_ms else None,
        }
        for k in rows
    ]


def _deny_entry(d: DenyEntry, key: str, value: str) -> dict[str, Any]:
    entry: dict[str, Any] = {key: value, "public": d.public, "expires": d.expires_ms // 1000}
    # A private entry goes out without its reason: a kiosk refuses privately whatever the
    # reason, and a stolen kiosk must not learn who was barred as a health risk.
    if d.public:
        entry["reason_code"] = d.reason_code
    return entry
