"""Personal code formats: recognise a scanned payload and turn it into a PersonalCode."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from checkin_protocol import dcc as hc1
from checkin_protocol.keys import TrustStore
from checkin_protocol.kp1 import PREFIX, PassRejected, verify_pass
from checkin_protocol.reasons import Reason
from checkin_protocol.records import Subject
from kiosk.passes.dcc import DccSigners, read_dcc
from kiosk.passes.errors import CodeRejected
from kiosk.passes.identity import identity_kind, read_identity, split_fields
from kiosk.passes.model import CodeKind, IdNumber, PersonalCode

__all__ = [
    "CodeKind",
    "CodeReader",
    "CodeRejected",
    "DccSigners",
    "IdNumber",
    "PersonalCode",
    "SealingKey",
    "looks_personal",
]

# No personal code format here is longer than this; longer payloads are refused unread. A DCC
# may fill a QR code (checkin_protocol.dcc.MAX_TEXT): its own limits apply to `HC1:` texts.
MAX_PAYLOAD = 2000


def _too_long(payload: bytes) -> bool:
    limit = hc1.MAX_TEXT if payload.startswith(hc1.PREFIX.encode()) else MAX_PAYLOAD
    return len(payload) > limit


# `KP2:`, `KP10:`: a later version of our pass, refused as malformed rather than as foreign.
_FUTURE_VERSION = re.compile(r"KP[0-9]{1,2}:")


def payload_text(payload: bytes) -> str | None:
    """The payload as text if it is UTF-8 (all our formats are), else None."""
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return None


def looks_personal(payload: bytes) -> bool:
    """Whether a payload is shaped like one of our formats (no signature or date checked).

    For a frame with several codes: a visitor's code (valid or not) should be decided before
    a stray second code, such as a poster's URL or a symbol seen in the pass's own artwork.
    """
    if _too_long(payload):
        return False
    text = payload_text(payload)
    if text is None:
        return False
    if text.startswith((PREFIX, hc1.PREFIX)) or _FUTURE_VERSION.match(text):
        return True
    return "|" in text and identity_kind(split_fields(text)) is not None


class SealingKey(Protocol):
    """Where the registry's ID-sealing key is found (the signed deny list), if anywhere."""

    def sealing_key(self) -> X25519PublicKey | None: ...


class _NoRegistry:
    def sealing_key(self) -> X25519PublicKey | None:
        return None


@dataclass(frozen=True)
class CodeReader:
    """Dispatches a payload to its format, cheapest checks first."""

    trust: TrustStore
    # Read at each scan: the key arrives (or changes) with the registry's deny list.
    sealing: SealingKey = field(default_factory=_NoRegistry)
    dcc_signers: DccSigners = field(default_factory=DccSigners)
    # policy.clock_skew: how far a DCC's `iat` may lie ahead of this kiosk's clock.
    clock_skew: float = hc1.DEFAULT_SKEW

    def read(self, payload: bytes, now: float) -> PersonalCode:
        """Raises CodeRejected for anything that is not a usable personal code.

        `now` (epoch seconds) judges what is checked while reading: a DCC's signer
        certificate and its validity (a KP1 pass's times are the policy's). It is required:
        a default of "the clock" is how a test or a replay ends up judging the wrong time.
        """
        if _too_long(payload):
            if payload.startswith(hc1.PREFIX.encode()):  # a DCC, damaged or forged: say so
                detail = f"HC1 text of {len(payload)} bytes; a QR code holds {hc1.MAX_TEXT}"
                raise CodeRejected(Reason.MALFORMED, detail, CodeKind.DCC)
            raise CodeRejected(Reason.NOT_PERSONAL_CODE, f"payload of {len(payload)} bytes")
        text = payload_text(payload)
        if text is None:
            raise CodeRejected(Reason.NOT_PERSONAL_CODE, "payload is not UTF-8 text")
        if text.startswith(hc1.PREFIX):
            return read_dcc(
                text, self.dcc_signers.trust, now, self.sealing.sealing_key(), self.clock_skew
            )
        if text.startswith(PREFIX):
            try:
                p = verify_pass(text, self.trust)
            except PassRejected as err:
                raise CodeRejected(err.reason, err.detail, CodeKind.SIGNED_PASS) from None
            return PersonalCode(
                kind=CodeKind.SIGNED_PASS,
                verified=True,
                subject=Subject.of_pass(p.pass_id),
                masked_name=p.masked_name,
                birth_year=p.birth_year,
                category=p.category,
                issued_at=p.issued_at,
                expires_at=p.expires_at,
                not_before=p.not_before,
                declared_at=p.declared_at,
            )
        if _FUTURE_VERSION.match(text):
            raise CodeRejected(Reason.MALFORMED, "pass format version not supported")
        if "|" in text:
            code = read_identity(split_fields(text), self.sealing.sealing_key())
            if code is not None:
                return code
        raise CodeRejected(Reason.NOT_PERSONAL_CODE, "not a known personal code format")
