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
    # EU Digital COVID Certificates: the signer's key usage, the EU revocation list, and the
    # venue's rules (policy.dcc). Every rule reason tells of a health status: all private.
    KEY_USAGE = "key_usage"
    DCC_EXPIRED = "dcc_expired"
    REVOKED = "revoked"
    DCC_TYPE_NOT_ACCEPTED = "dcc_type_not_accepted"
    VACCINATION_INCOMPLETE = "vaccination_incomplete"
    VACCINATION_TOO_RECENT = "vaccination_too_recent"
    VACCINATION_TOO_OLD = "vaccination_too_old"
    PRODUCT_NOT_ACCEPTED = "product_not_accepted"
    TEST_TYPE_NOT_ACCEPTED = "test_type_not_accepted"
    TEST_TOO_OLD = "test_too_old"
    TEST_POSITIVE = "test_positive"
    RECOVERY_NOT_VALID = "recovery_not_valid"
    # Anti-passback: this pass entered at a door of the venue and has not left since.
    ALREADY_INSIDE = "already_inside"

    @property
    def public(self) -> bool:
        """False where the reason itself would reveal health status or a personal sanction.

        Such a FAIL is shown as "please see the staff"; the record keeps the real reason.
        """
        return self not in _PRIVATE


_PRIVATE = frozenset(
    {
        Reason.DECLARATION_MISSING,
        Reason.DECLARATION_TOO_OLD,
        Reason.DENIED,
        Reason.REVOKED,
        Reason.DCC_EXPIRED,
        Reason.DCC_TYPE_NOT_ACCEPTED,
        Reason.VACCINATION_INCOMPLETE,
        Reason.VACCINATION_TOO_RECENT,
        Reason.VACCINATION_TOO_OLD,
        Reason.PRODUCT_NOT_ACCEPTED,
        Reason.TEST_TYPE_NOT_ACCEPTED,
        Reason.TEST_TOO_OLD,
        Reason.TEST_POSITIVE,
        Reason.RECOVERY_NOT_VALID,
    }
)
