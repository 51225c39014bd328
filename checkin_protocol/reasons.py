"""Reason codes for FAIL verdicts, and which of them may be shown to the public."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    NOT_PERSONAL_CODE = "not_personal_code"
    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_ISSUER = "unknown_issuer"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    KIND_NOT_ADMITTED = "kind_not_admitted"
    CATEGORY_NOT_ADMITTED = "category_not_admitted"
    DECLARATION_MISSING = "declaration_missing"
    DECLARATION_TOO_OLD = "declaration_too_old"
    DENIED = "denied"
    CLOSED = "closed"
    FULL = "full"
    LISTS_STALE = "lists_stale"
    # Anti-passback: this pass entered at a door of the venue and has not left since.
    ALREADY_INSIDE = "already_inside"

    @property
    def public(self) -> bool:
        """False where the reason itself would reveal health status or a personal sanction.

        Such a FAIL is shown as "please see the staff"; the record keeps the real reason.
        """
        return self not in _PRIVATE


_PRIVATE = frozenset({Reason.DECLARATION_MISSING, Reason.DECLARATION_TOO_OLD, Reason.DENIED})
