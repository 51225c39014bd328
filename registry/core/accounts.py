"""Venues, kiosks and people, and the tokens that say who is calling."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, select, update

from checkin_protocol.records import IDENTIFIER_PATTERN
from registry.auth import Caller, Role, hash_token, new_token
from registry.core.common import Database, RegistryError, audit, now_ms, text_problem
from registry.db.models import Kiosk, Principal, Venue, WebSession


def _kiosk_principal(venue_id: str, kiosk_id: str) -> str:
    return f"kiosk:{venue_id}/{kiosk_id}"


def check_identifier(value: str, what: str) -> None:
    """Venue and kiosk ids: a strict character set, so a comma or slash cannot smuggle another."""
    if not isinstance(value, str) or not re.fullmatch(IDENTIFIER_PATTERN, value):
        raise RegistryError(f"{what}: 1-64 of A-Z, a-z, 0-9, '_', '.', '-' (letter or digit first)")


class Accounts:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add_venue(
        self,
        venue_id: str,
        name: str,
        district: str = "",
        province: str = "",
        timezone: str = "Asia/Ho_Chi_Minh",
        *,
        phone_occupancy: bool = False,
        by: str = "cli",
    ) -> None:
        """A venue; `phone_occupancy`: its phones' self check-ins count in the occupancy its
        kiosks enforce (off by default: only door records move that)."""
        check_identifier(venue_id, "venue id")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise RegistryError(f"unknown time zone {timezone!r}") from None
        with self.db.session.begin() as s:
            if s.get(Venue, venue_id) is not None:
                raise RegistryError(f"venue {venue_id} exists")
            s.add(
                Venue(
                    id=venue_id,
                    name=name,
                    district=district,
                    province=province,
                    timezone=timezone,
                    phone_occupancy=phone_occupancy,
                    created_ms=now_ms(),
                )
            )
            audit(s, by, "venue_add", {"venue": venue_id}, 1)

    def set_phone_occupancy(self, venue_id: str, counted: bool, *, by: str = "cli") -> None:
        """Whether the venue's phones' self check-ins count in its kiosks' occupancy."""
        with self.db.session.begin() as s:
            venue = s.get(Venue, venue_id)
            if venue is None:
                raise RegistryError(f"no venue {venue_id}")
            venue.phone_occupancy = counted
            audit(s, by, "venue_phones", {"venue": venue_id, "counted": counted}, 1)

    def add_kiosk(self, venue_id: str, kiosk_id: str, *, by: str = "cli") -> str:
        """Register a kiosk; returns its token (shown once, stored hashed)."""
        check_identifier(venue_id, "venue id")
        check_identifier(kiosk_id, "kiosk id")
        token = new_token()
        with self.db.session.begin() as s:
            if s.get(Venue, venue_id) is None:
                raise RegistryError(f"no venue {venue_id}")
            if s.get(Kiosk, (venue_id, kiosk_id)) is not None:
                raise RegistryError(f"kiosk {venue_id}/{kiosk_id} exists")
            s.add(Kiosk(venue_id=venue_id, id=kiosk_id, created_ms=now_ms()))
            s.add(
                Principal(
                    role=Role.KIOSK.value,
                    name=_kiosk_principal(venue_id, kiosk_id),
                    token_hash=hash_token(token),
                    venues="",
                    kiosk_venue=venue_id,
                    kiosk_id=kiosk_id,
                    created_ms=now_ms(),
                )
            )
            audit(s, by, "kiosk_add", {"venue": venue_id, "kiosk": kiosk_id}, 1)
        return token

    def revoke_kiosk(self, venue_id: str, kiosk_id: str, *, by: str = "cli") -> None:
        with self.db.session.begin() as s:
            done = s.execute(
                update(Principal)
                .where(
                    Principal.name == _kiosk_principal(venue_id, kiosk_id),
                    Principal.revoked_ms.is_(None),
                )
                .values(revoked_ms=now_ms())
            )
            if done.rowcount == 0:  # type: ignore[attr-defined]
                raise RegistryError(f"no active kiosk {venue_id}/{kiosk_id}")
            audit(s, by, "kiosk_revoke", {"venue": venue_id, "kiosk": kiosk_id}, 1)

    def add_user(
        self, name: str, role: Role, venues: Iterable[str] = (), *, by: str = "cli"
    ) -> str:
        """A staff account; returns its token (shown once, stored hashed). Audited, as every
        act on accounts is: `by` is who did it (an admin's name, `cli:<user>`)."""
        if role is Role.KIOSK:
            raise RegistryError("kiosks are added with 'kiosk add'")
        if not name or len(name) > 100 or text_problem(name) or name.startswith("kiosk:"):
            raise RegistryError("a user name is 1-100 printable characters, not kiosk:…")
        token = new_token()
        venue_list = sorted(set(venues))
        for v in venue_list:
            check_identifier(v, "venue id")
        with self.db.session.begin() as s:
            for v in venue_list:
                if s.get(Venue, v) is None:
                    raise RegistryError(f"no venue {v}")
            if role is Role.CONTROLLER and not venue_list:
                raise RegistryError("a controller needs at least one venue")
            if s.scalar(select(Principal).where(Principal.name == name)) is not None:
                raise RegistryError(f"{name} exists")
            s.add(
                Principal(
                    role=role.value,
                    name=name,
                    token_hash=hash_token(token),
                    venues=",".join(venue_list),
                    created_ms=now_ms(),
                )
            )
            audit(s, by, "user_add", {"name": name, "role": role.value, "venues": venue_list}, 1)
        return token

    def caller(self, token: str) -> Caller | None:
        with self.db.session() as s:
            p = s.scalar(
                select(Principal).where(
                    Principal.token_hash == hash_token(token), Principal.revoked_ms.is_(None)
                )
            )
            return _as_caller(p) if p is not None else None

    def open_session(self, token: str, lifetime_s: int) -> tuple[str, str] | None:
        """Sign a person in with their API token: (session secret, CSRF token), or None.

        The browser keeps the session secret, never the API token: a session ends on its own,
        on sign-out, or when its person is disabled or given a new token.
        """
        caller = self.caller(token)
        if caller is None or caller.role is Role.KIOSK:
            return None
        secret, csrf = new_token(), new_token()
        now = now_ms()
        with self.db.session.begin() as s:
            s.add(
                WebSession(
                    secret_hash=hash_token(secret),
                    principal_id=caller.id,
                    csrf=csrf,
                    created_ms=now,
                    expires_ms=now + lifetime_s * 1000,
                )
            )
        return secret, csrf

    def session_caller(self, secret: str) -> tuple[Caller, str] | None:
        """(who, their CSRF token) for a live session, else None."""
        with self.db.session() as s:
            row = s.execute(
                select(Principal, WebSession.csrf)
                .join(WebSession, WebSession.principal_id == Principal.id)
                .where(
                    WebSession.secret_hash == hash_token(secret),
                    WebSession.expires_ms > now_ms(),
                    Principal.revoked_ms.is_(None),
                )
            ).first()
        return (_as_caller(row[0]), row[1]) if row is not None else None

    def close_session(self, secret: str) -> None:
        with self.db.session.begin() as s:
            s.execute(delete(WebSession).where(WebSession.secret_hash == hash_token(secret)))

    def venue_exists(self, venue_id: str) -> bool:
        with self.db.session() as s:
            return s.get(Venue, venue_id) is not None

    def users(self) -> list[dict[str, Any]]:
        """People with tokens (not kiosks): who, which role, which venues, whether disabled."""
        with self.db.session() as s:
            rows = s.scalars(
                select(Principal).where(Principal.role != Role.KIOSK.value).order_by(Principal.name)
            ).all()
        return [
            {
                "name": p.name,
                "role": p.role,
                "venues": [v for v in p.venues.split(",") if v],
                "disabled": p.revoked_ms is not None,
            }
            for p in rows
        ]

    def _user(self, s: Any, name: str) -> Principal:
        p = s.scalar(
            select(Principal).where(Principal.name == name, Principal.role != Role.KIOSK.value)
        )
        if p is None:
            raise RegistryError(f"no user {name}")
        return p  # type: ignore[no-any-return]

    def disable_user(self, name: str, *, by: str = "cli") -> None:
        """The user's token stops working at once (sessions made with it too)."""
        with self.db.session.begin() as s:
            self._user(s, name).revoked_ms = now_ms()
            audit(s, by, "user_disable", {"name": name}, 1)

    def reset_token(self, name: str, *, by: str = "cli") -> str:
        """A new token for a user (enabled again); the old one stops working at once."""
        token = new_token()
        with self.db.session.begin() as s:
            p = self._user(s, name)
            p.token_hash = hash_token(token)
            p.revoked_ms = None
            # Sessions opened with the old token end with it.
            s.execute(delete(WebSession).where(WebSession.principal_id == p.id))
            audit(s, by, "user_reset_token", {"name": name}, 1)
        return token


def _as_caller(p: Principal) -> Caller:
    return Caller(
        id=p.id,
        role=Role(p.role),
        name=p.name,
        venues=frozenset(v for v in p.venues.split(",") if v),
        kiosk_venue=p.kiosk_venue,
        kiosk_id=p.kiosk_id,
    )
