"""Personal code formats: recognise a scanned payload and turn it into a PersonalCode."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.passes.errors import CodeRejected
from kiosk.passes.identity import looks_like_cccd, looks_like_national, parse_cccd, parse_national
from kiosk.passes.keys import TrustStore
from kiosk.passes.model import CodeKind, PersonalCode
from kiosk.passes.privacy import SubjectHasher
from kiosk.passes.signed import PREFIX, verify_pass
from kiosk.policy.reasons import Reason

__all__ = ["CodeKind", "CodeReader", "CodeRejected", "PersonalCode"]

# No personal code format here is longer than this; longer payloads are refused unread.
MAX_PAYLOAD = 2000


def payload_text(payload: bytes) -> str | None:
    """The payload as text if it is UTF-8 (all our formats are), else None."""
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return None


@dataclass(frozen=True)
class CodeReader:
    """Dispatches a payload to its format, cheapest checks first."""

    trust: TrustStore
    hasher: SubjectHasher

    def read(self, payload: bytes) -> PersonalCode:
        """Raises CodeRejected for anything that is not a usable personal code."""
        if len(payload) > MAX_PAYLOAD:
            raise CodeRejected(Reason.NOT_PERSONAL_CODE, f"payload of {len(payload)} bytes")
        text = payload_text(payload)
        if text is None:
            raise CodeRejected(Reason.NOT_PERSONAL_CODE, "payload is not UTF-8 text")
        if text.startswith(PREFIX):
            try:
                p = verify_pass(text, self.trust)
            except CodeRejected as err:
                raise CodeRejected(err.reason, err.detail, CodeKind.SIGNED_PASS) from None
            return PersonalCode(
                kind=CodeKind.SIGNED_PASS,
                verified=True,
                subject="pass:" + p.pass_id.hex(),
                masked_name=p.masked_name,
                birth_year=p.birth_year,
                category=p.category,
                issued_at=p.issued_at,
                expires_at=p.expires_at,
                not_before=p.not_before,
                declared_at=p.declared_at,
            )
        if len(text) > 3 and text[:2] == "KP" and text[2].isdigit() and ":" in text[3:5]:
            raise CodeRejected(Reason.MALFORMED, "pass format version not supported")
        if "|" in text:
            fields = text.rstrip("\r\n").split("|")
            try:
                if looks_like_cccd(fields):
                    return parse_cccd(fields, self.hasher)
                if looks_like_national(fields):
                    return parse_national(fields)
            except CodeRejected as err:
                kind = CodeKind.CCCD if looks_like_cccd(fields) else CodeKind.NATIONAL_QR
                raise CodeRejected(err.reason, err.detail, kind) from None
        raise CodeRejected(Reason.NOT_PERSONAL_CODE, "not a known personal code format")
