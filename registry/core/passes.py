"""Pass issuing: the rotatable issuer keys, signed passes, and the deny entries that revoke them."""

from __future__ import annotations

import os
import re
import time

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from checkin_protocol.documents import DENY_LIST, TRUST_LIST
from checkin_protocol.keys import algorithm_of
from checkin_protocol.kp1 import issue_pass
from checkin_protocol.privacy import mask_name
from checkin_protocol.records import Subject, SubjectKind
from registry.core.common import Database, RegistryError, bump_list, now_ms
from registry.db.models import DenyEntry, IssuedPass, IssuerKey
from registry.keys import RegistryKeys


class Passes:
    def __init__(self, db: Database, keys: RegistryKeys) -> None:
        self.db = db
        self.keys = keys

    def ensure_issuer_key(self) -> None:
        """A first issuer key, unless there is one (idempotent)."""
        with self.db.session.begin() as s:
            if s.scalar(select(func.count()).select_from(IssuerKey)) == 0:
                self._add_issuer_key(s)

    def _add_issuer_key(self, s: Session) -> str:
        kid, key = self.keys.new_issuer_key()
        pem = (
            key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
        )
        s.add(
            IssuerKey(
                kid=kid, alg=algorithm_of(key.public_key()), public_pem=pem, created_ms=now_ms()
            )
        )
        bump_list(s, TRUST_LIST)
        return kid

    @staticmethod
    def _active_kid(s: Session) -> str:
        kid = s.scalar(select(IssuerKey.kid).where(IssuerKey.retired_ms.is_(None)))
        if kid is None:
            raise RegistryError("no active issuer key (run 'init')")
        return kid

    def issue_pass(
        self,
        name: str,
        *,
        valid_for: int,
        birth_year: int | None = None,
        category: str | None = None,
        declared_at: int | None = None,
    ) -> tuple[str, str]:
        """Sign a pass with the active issuer key; returns (QR text, pass id hex)."""
        with self.db.session.begin() as s:
            return self.issue_in(
                s,
                name,
                valid_for=valid_for,
                birth_year=birth_year,
                category=category,
                declared_at=declared_at,
            )

    def issue_in(
        self,
        s: Session,
        name: str,
        *,
        valid_for: int,
        birth_year: int | None = None,
        category: str | None = None,
        declared_at: int | None = None,
        id_hash: str | None = None,
        device_hash: str | None = None,
    ) -> tuple[str, str]:
        """Sign a pass in the caller's transaction: if that fails, no pass was issued."""
        pass_id = os.urandom(16)
        issued = int(time.time())
        kid = self._active_kid(s)
        text = issue_pass(
            self.keys.issuer_key(kid),
            issuer="registry",
            masked_name=mask_name(name),
            valid_until=issued + valid_for,
            issued_at=issued,
            birth_year=birth_year,
            category=category,
            declared_at=declared_at,
            pass_id=pass_id,
        )
        s.add(
            IssuedPass(
                pass_id=pass_id.hex(),
                kid=kid,
                issued_ms=issued * 1000,
                valid_until_ms=(issued + valid_for) * 1000,
                id_hash=id_hash,
                device_hash=device_hash,
            )
        )
        s.flush()
        return text, pass_id.hex()

    def deny(
        self,
        s: Session,
        subject: Subject,
        reason_code: str,
        *,
        expires_ms: int,
        public: bool = False,
        created_by: str | None = None,
        sealed_id: str | None = None,
        requested_by: str | None = None,
    ) -> None:
        """Put a subject on the deny list until `expires_ms` (in the caller's transaction).

        `sealed_id` is an ID entry's number sealed to the registry: what lets the deny list
        carry it to kiosks as a scrypt key rather than as the `idh:` subject.
        `requested_by`: the (hashed) address of an anonymous declaration that made the entry,
        counted in the declarations' share of the budget; None for the officers' share.
        """
        values = {
            "reason_code": reason_code,
            "expires_ms": expires_ms,
            "created_by": created_by,
            "sealed_id": sealed_id,
            "requested_by": requested_by,
        }
        stmt = self.db.insert()(DenyEntry).values(
            subject=str(subject), public=public, created_ms=now_ms(), **values
        )
        s.execute(stmt.on_conflict_do_update(index_elements=["subject"], set_=values))
        bump_list(s, DENY_LIST)

    def revoke_in(
        self, s: Session, p: IssuedPass, reason_code: str, *, requested_by: str | None = None
    ) -> None:
        """Revoke an issued pass: denied, privately, until it would have expired anyway."""
        p.revoked_ms = now_ms()
        if p.valid_until_ms > now_ms():
            subject = Subject(SubjectKind.PASS, p.pass_id)
            self.deny(
                s, subject, reason_code, expires_ms=p.valid_until_ms, requested_by=requested_by
            )

    def revoke_pass(self, pass_id: str, reason_code: str = "revoked") -> None:
        if not re.fullmatch(r"[0-9a-fA-F]{32}", pass_id):
            raise RegistryError("a pass id is 32 hex digits")
        with self.db.session.begin() as s:
            p = s.get(IssuedPass, pass_id.lower())
            if p is None:
                raise RegistryError(f"no pass {pass_id} issued here")
            self.revoke_in(s, p, reason_code)

    def rotate_keys(self) -> str:
        """New signing key; the old one stays trusted until the last pass it signed expires."""
        with self.db.session.begin() as s:
            old = self._active_kid(s)
            last = s.scalar(
                select(func.max(IssuedPass.valid_until_ms)).where(IssuedPass.kid == old)
            )
            s.execute(
                update(IssuerKey)
                .where(IssuerKey.kid == old)
                .values(retired_ms=now_ms(), trusted_until_ms=max(last or 0, now_ms()))
            )
            return self._add_issuer_key(s)

    def revoke_key(self, kid: str) -> str | None:
        """Distrust an issuer key at once (it leaves the next trust list, so every pass it
        signed fails verification); if it was the active key, a new one takes over (its kid
        is returned)."""
        with self.db.session.begin() as s:
            key = s.get(IssuerKey, kid)
            if key is None:
                raise RegistryError(f"no issuer key {kid}")
            was_active = key.retired_ms is None
            now = now_ms()
            key.retired_ms = key.retired_ms or now
            key.trusted_until_ms = now
            bump_list(s, TRUST_LIST)
            new = self._add_issuer_key(s) if was_active else None
        # A compromised key signs nothing more here either.
        self.keys.folder.joinpath(f"issuer-{kid}.key").unlink(missing_ok=True)
        return new

    def keys_info(self) -> list[dict[str, object]]:
        with self.db.session() as s:
            rows = s.scalars(select(IssuerKey).order_by(IssuerKey.created_ms)).all()
        now = now_ms()
        return [
            {
                "kid": k.kid,
                "active": k.retired_ms is None,
                "trusted": k.trusted_until_ms is None or k.trusted_until_ms > now,
                "trusted_until_ms": k.trusted_until_ms,
            }
            for k in rows
        ]
