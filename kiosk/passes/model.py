"""What a scanned personal code tells the policy, whatever its format."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CodeKind(StrEnum):
    SIGNED_PASS = "signed_pass"
    NATIONAL_QR = "national_qr"
    CCCD = "cccd"


@dataclass(frozen=True)
class PersonalCode:
    """A recognised code, reduced to the least the policy and the record need.

    `verified` is true only when a trusted issuer's signature checked out; identity codes
    (national QR, CCCD) are never verified. `subject` never holds a full ID number.
    """

    kind: CodeKind
    verified: bool
    subject: str
    masked_name: str
    birth_year: int | None = None
    category: str | None = None
    issued_at: int | None = None
    expires_at: int | None = None
    not_before: int | None = None
    declared_at: int | None = None
