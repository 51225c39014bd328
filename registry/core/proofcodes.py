"""One-time codes to the phone on file: a declaration's other proof that it is the holder's
(besides the pass shown with its device's secret), through one small sender interface."""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.core.common import Database, RegistryError, now_ms
from registry.core.sealed_fields import open_fields
from registry.db.models import Declaration, IssuedPass, ProofCode
from registry.keys import RegistryKeys

log = logging.getLogger(__name__)

CODE_TTL_MS = 10 * 60 * 1000
MAX_ATTEMPTS = 5  # wrong codes for an ID number before its pending codes are spent
SENDS_PER_PASS_PER_DAY = 3  # however many ask: a phone is not flooded
DAY_MS = 86_400_000


class CodeSender(Protocol):
    """Where a code goes: an SMS or Zalo gateway in a deployment, the log in the demo."""

    def send(self, phone: str, text: str) -> None: ...


class LogSender:
    """The demo's sender: the message goes to the registry's log, the phone shown by its
    last three digits only."""

    def send(self, phone: str, text: str) -> None:
        log.warning("one-time code for the phone ending %s: %s", phone[-3:], text)


SENDERS: dict[str, Callable[[], CodeSender]] = {"log": LogSender}


def sender_of(kind: str) -> CodeSender:
    if kind not in SENDERS:
        raise RegistryError(f"code sender {kind!r}: one of {', '.join(sorted(SENDERS))}")
    return SENDERS[kind]()


def message(code: str) -> str:
    return (
        f"Mã xác nhận khai báo y tế: {code} (hiệu lực 10 phút). Nếu bạn không yêu cầu, hãy bỏ "
        f"qua tin này. / Health declaration code: {code} (valid 10 minutes). If you did not "
        "ask for it, ignore this message."
    )


class ProofCodes:
    def __init__(self, db: Database, keys: RegistryKeys, sender: CodeSender) -> None:
        self.db = db
        self.keys = keys
        self.sender = sender

    def _digest(self, pass_id: str, code: str) -> str:
        # Keyed: six digits from a copied table are not read back by trying a million.
        return str(self.keys.hasher()(f"code:{pass_id}:{code}"))

    def send(self, id_number: str) -> None:
        """A new code to the phone declared with each pass of the ID number in force.

        Nothing is said back of whether there was one: the answer is the same for every
        number. Each pass gets a few codes a day at most, whoever asks.
        """
        id_hash = str(self.keys.hasher()(id_number))
        now = now_ms()
        out: list[tuple[str, str]] = []
        with self.db.session.begin() as s:
            rows = s.execute(
                select(IssuedPass.pass_id, Declaration.phone, Declaration.sealed)
                .join(Declaration, Declaration.pass_id == IssuedPass.pass_id)
                .where(
                    IssuedPass.id_hash == id_hash,
                    IssuedPass.revoked_ms.is_(None),
                    IssuedPass.valid_until_ms > now,
                )
            ).all()
            for pass_id, clear, sealed in rows:
                # The phone is sealed under a key outside the database (older rows: in clear).
                opened = open_fields(self.keys, sealed) if sealed else None
                phone = str(opened.get("phone") or "") if opened else clear
                if not phone:
                    continue
                sent = s.scalar(
                    select(func.count())
                    .select_from(ProofCode)
                    .where(ProofCode.pass_id == pass_id, ProofCode.created_ms > now - DAY_MS)
                )
                if (sent or 0) >= SENDS_PER_PASS_PER_DAY:
                    continue
                code = f"{secrets.randbelow(10**6):06d}"
                s.add(
                    ProofCode(
                        id_hash=id_hash,
                        pass_id=pass_id,
                        code_hash=self._digest(pass_id, code),
                        created_ms=now,
                        expires_ms=now + CODE_TTL_MS,
                        attempts=0,
                    )
                )
                out.append((phone, code))
        for phone, code in out:
            self.sender.send(phone, message(code))

    def redeem_in(self, s: Session, id_hash: str, code: str, now: int) -> IssuedPass | None:
        """The pass of the ID number whose phone got `code`, if it is one (in the caller's
        transaction, once); a wrong code counts against every code pending for the number."""
        pending = s.scalars(
            select(ProofCode)
            .where(
                ProofCode.id_hash == id_hash,
                ProofCode.expires_ms > now,
                ProofCode.used_ms.is_(None),
                ProofCode.attempts < MAX_ATTEMPTS,
            )
            .with_for_update()
        ).all()
        for p in pending:
            if hmac.compare_digest(p.code_hash, self._digest(p.pass_id, code)):
                p.used_ms = now
                return s.get(IssuedPass, p.pass_id)
        for p in pending:
            p.attempts += 1
        return None
