"""What a scanned personal code tells the policy, whatever its format."""

from __future__ import annotations

from dataclasses import dataclass, field

from checkin_protocol.dcc import DccCertificate
from checkin_protocol.records import CodeKind, Subject

__all__ = ["CodeKind", "IdNumber", "PersonalCode"]


class IdNumber:
    """A scanned ID number, held in memory for one decision (the deny list): never recorded,
    and shown as `IdNumber(…)` so a log line or traceback cannot print it."""

    __slots__ = ("_digits",)

    def __init__(self, digits: str) -> None:
        self._digits = digits

    def reveal(self) -> str:
        return self._digits

    def __repr__(self) -> str:
        return "IdNumber(…)"


@dataclass(frozen=True)
class PersonalCode:
    """A recognised code, reduced to the least the policy and the record need.

    `verified` is true only when a trusted issuer's signature checked out; identity codes
    (national QR, CCCD) are never verified. `subject` never holds a full ID number, nor
    anything checkable against one: a CCCD's is sealed to the registry, or None without one.
    """

    kind: CodeKind
    verified: bool
    subject: Subject | None
    masked_name: str
    birth_year: int | None = None
    category: str | None = None
    issued_at: int | None = None
    expires_at: int | None = None
    not_before: int | None = None
    declared_at: int | None = None
    id_number: IdNumber | None = field(default=None, repr=False, compare=False)
    # A DCC's content, for the venue's DCC rules and its revocation hashes: never recorded.
    dcc: DccCertificate | None = field(default=None, repr=False, compare=False)
