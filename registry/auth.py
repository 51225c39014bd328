"""Tokens and roles. Tokens are random 256-bit strings; only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    CONTROLLER = "controller"  # a venue's controller: its own venues only
    HEALTH_OFFICER = "health_officer"
    KIOSK = "kiosk"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # A plain hash is enough: tokens carry 256 random bits, so there is nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Caller:
    id: int
    role: Role
    name: str
    venues: frozenset[str]
    kiosk_venue: str | None
    kiosk_id: str | None

    def may_see_venue(self, venue_id: str) -> bool:
        return self.role is Role.ADMIN or (self.role is Role.CONTROLLER and venue_id in self.venues)
