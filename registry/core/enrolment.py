"""Enrolment codes: a kiosk fetches its token and the list key with a code typed at the door.

`kiosk add` (or `kiosk enrol-code`) makes a short code, valid for a short time, stored hashed;
the kiosk trades it once, over POST /api/v1/enrol, for a *new* token (the registry keeps only
its hash, so the token cannot be handed out later: it is made at the trade, and whatever token
the kiosk had before stops working) and the list-signing public key. Nobody copies token files.

A code has 60 random bits in 12 characters of Crockford's base32 (no I, L, O, U: nothing to
misread), shown as XXXX-XXXX-XXXX. Online guessing meets the endpoint's rate limits; the hash
in the table is SHA-256 of the normalised code (a stolen table is worth at most the codes of
the last half hour, each 2^60 guesses away).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import BigInteger, String, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column

from registry.auth import Role, hash_token, new_token
from registry.core.accounts import _kiosk_principal, check_identifier
from registry.core.common import Database, RegistryError, audit, now_ms
from registry.db.models import Base, Principal, Venue
from registry.keys import LIST_PUB, RegistryKeys

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
CODE_CHARS = 12
LIFETIME_S = 30 * 60
# What people type for what they meant: Crockford's decoding rules.
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


class EnrolmentCode(Base):
    """One code: which kiosk it enrols, until when, and whether it was used."""

    __tablename__ = "enrolment_codes"
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    venue_id: Mapped[str] = mapped_column(String(64))
    kiosk_id: Mapped[str] = mapped_column(String(64))
    created_ms: Mapped[int] = mapped_column(BigInteger)
    expires_ms: Mapped[int] = mapped_column(BigInteger, index=True)
    used_ms: Mapped[int | None] = mapped_column(BigInteger)


class EnrolmentRefused(RegistryError):
    """An unknown, used or expired code: one reason for all three (no oracle for guessers)."""


@dataclass(frozen=True)
class Enrolled:
    venue_id: str
    kiosk_id: str
    venue_name: str
    timezone: str
    token: str
    list_key: str  # PEM


def normalise(code: str) -> str | None:
    """The code's 12 characters, or None if it cannot be one (wrong length or letters)."""
    text = "".join(code.split()).replace("-", "").upper().translate(_READ_AS)
    if len(text) != CODE_CHARS or any(c not in ALPHABET for c in text):
        return None
    return text


def pretty(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


class Enrolments:
    def __init__(self, db: Database, keys: RegistryKeys, lifetime_s: int = LIFETIME_S) -> None:
        self.db = db
        self.keys = keys
        self.lifetime_s = lifetime_s

    def issue(self, venue_id: str, kiosk_id: str) -> tuple[str, int]:
        """A new code for an active kiosk, as shown to people; and when it expires (epoch ms).

        The kiosk's earlier codes stop working: only the newest one printed is live.
        """
        check_identifier(venue_id, "venue id")
        check_identifier(kiosk_id, "kiosk id")
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARS))
        now = now_ms()
        with self.db.session.begin() as s:
            active = s.scalar(
                select(Principal.id).where(
                    Principal.name == _kiosk_principal(venue_id, kiosk_id),
                    Principal.revoked_ms.is_(None),
                )
            )
            if active is None:
                raise RegistryError(f"no active kiosk {venue_id}/{kiosk_id}")
            s.execute(
                delete(EnrolmentCode).where(
                    EnrolmentCode.venue_id == venue_id, EnrolmentCode.kiosk_id == kiosk_id
                )
            )
            # Expired codes of every kiosk go too: the table holds only what may still be used.
            s.execute(delete(EnrolmentCode).where(EnrolmentCode.expires_ms <= now))
            expires = now + self.lifetime_s * 1000
            s.add(
                EnrolmentCode(
                    code_hash=_hash(code),
                    venue_id=venue_id,
                    kiosk_id=kiosk_id,
                    created_ms=now,
                    expires_ms=expires,
                )
            )
            audit(s, "cli", "enrol_code", {"venue": venue_id, "kiosk": kiosk_id}, 1)
        return pretty(code), expires

    def redeem(self, code: str) -> Enrolled:
        """Trade a live code for the kiosk's new token, once; EnrolmentRefused otherwise."""
        text = normalise(code)
        if text is None:
            raise EnrolmentRefused("unknown, used or expired enrolment code")
        now = now_ms()
        token = new_token()
        with self.db.session.begin() as s:
            row = s.get(EnrolmentCode, _hash(text))
            if row is None or row.used_ms is not None or row.expires_ms <= now:
                raise EnrolmentRefused("unknown, used or expired enrolment code")
            # Used by exactly one request, even two arriving together: the update that finds
            # it unused wins, the other changes no row and is refused.
            won = s.execute(
                update(EnrolmentCode)
                .where(EnrolmentCode.code_hash == row.code_hash, EnrolmentCode.used_ms.is_(None))
                .values(used_ms=now)
            )
            if won.rowcount != 1:  # type: ignore[attr-defined]
                raise EnrolmentRefused("unknown, used or expired enrolment code")
            principal = s.scalar(
                select(Principal).where(
                    Principal.name == _kiosk_principal(row.venue_id, row.kiosk_id),
                    Principal.role == Role.KIOSK.value,
                    Principal.revoked_ms.is_(None),
                )
            )
            venue = s.get(Venue, row.venue_id)
            if principal is None or venue is None:  # revoked since the code was made
                raise EnrolmentRefused("unknown, used or expired enrolment code")
            principal.token_hash = hash_token(token)
            audit(
                s,
                _kiosk_principal(row.venue_id, row.kiosk_id),
                "enrol",
                {"venue": row.venue_id, "kiosk": row.kiosk_id},
                1,
            )
            enrolled = Enrolled(
                venue_id=row.venue_id,
                kiosk_id=row.kiosk_id,
                venue_name=venue.name,
                timezone=venue.timezone,
                token=token,
                list_key=(self.keys.folder / LIST_PUB).read_text(encoding="ascii"),
            )
        return enrolled
