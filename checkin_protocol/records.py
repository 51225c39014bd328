"""The check-in record, version 1: what a kiosk stores and the registry receives, field by field.

The kiosk's SQLite columns and the registry's request model, ORM table and ingest arrays are
derived from `CheckinRecord` or checked against it by tests: adding a field is one change here
plus a migration on each side.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
)

from checkin_protocol.times import ISO_MS_PATTERN, parse_iso

RECORD_FORMAT = 1
INT64_MAX = 2**63 - 1
IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def new_record_id(now_ms: int | None = None) -> str:
    """A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits. Records made
    later get larger ids, so the registry's indexes on ids grow at their end instead of
    being written all over."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    value = (ms & (2**48 - 1)) << 80 | int.from_bytes(os.urandom(10), "big") & (2**80 - 1)
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # the RFC 4122 variant
    return str(uuid.UUID(int=value))


# Free text a record carries: no C0 or C1 control character (tab excepted), which would reach
# screens and logs; the registry refuses them, and the schema says so.
NO_CONTROLS_PATTERN = r"^[^\x00-\x08\x0a-\x1f\x7f-\x9f]*$"
# Reason codes (checkin_protocol.reasons) and the guard's manual-admit reasons alike.
REASON_PATTERN = r"^[a-z0-9_]{1,32}$"

Identifier = Annotated[str, Field(pattern=IDENTIFIER_PATTERN)]


class Direction(StrEnum):
    ENTRY = "entry"
    EXIT = "exit"


class Verdict(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"


class CodeKind(StrEnum):
    """What was shown at the door; MANUAL is a guard's admit, UNKNOWN a code of no known format."""

    SIGNED_PASS = "signed_pass"
    NATIONAL_QR = "national_qr"
    CCCD = "cccd"
    DCC = "dcc"  # an EU Digital COVID Certificate (HC1:), Vietnam's vaccine passport included
    MANUAL = "manual"
    UNKNOWN = "unknown"


class ReadSource(StrEnum):
    """How the code reached the kiosk (or the registry)."""

    CAMERA = "camera"
    SERIAL = "serial"  # a dedicated reader in USB serial (CDC) mode
    HID = "hid"  # a dedicated reader as a keyboard (wedge)
    MANUAL = "manual"  # a guard's manual decision
    PHONE = "phone"  # a visitor's own phone, at the venue poster's self check-in page


class SubjectKind(StrEnum):
    PASS = "pass"  # a signed pass's id (hex)
    QID = "qid"  # the national personal QR's QID
    ID_HASH = "idh"  # a keyed hash of an ID number, never the number
    # An ID number sealed to the registry (checkin_protocol.sealing): random each time, so
    # nothing on the kiosk links two visits or can be checked against a guessed number. The
    # registry turns it into its own `idh:` at ingest. Added within format 1: a kiosk learns
    # the sealing key only from a registry that knows the kind.
    SEALED = "sealed"


_SUBJECT_VALUE = re.compile(r"^[0-9A-Za-z_-]{1,75}$")
SEALED_LENGTH = 72  # checkin_protocol.sealing: 54 bytes in base64url
SUBJECT_PATTERN = r"^((pass|qid|idh):[0-9A-Za-z_-]{1,75}|sealed:[0-9A-Za-z_-]{72})$"


@dataclass(frozen=True)
class Subject:
    """Who a record is about, as far as the record may say: a kind and an opaque value."""

    kind: SubjectKind
    value: str

    def __post_init__(self) -> None:
        if not _SUBJECT_VALUE.match(self.value):
            raise ValueError(f"not a {self.kind.value} subject value: {self.value!r}")
        if self.kind is SubjectKind.SEALED and len(self.value) != SEALED_LENGTH:
            raise ValueError(f"a sealed subject value is {SEALED_LENGTH} characters")

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.value}"

    @classmethod
    def parse(cls, text: str) -> Subject:
        """`pass:3f2a…` → Subject; ValueError for anything else."""
        kind, sep, value = text.partition(":")
        if not sep:
            raise ValueError(f"not a subject: {text[:40]!r}")
        try:
            return cls(SubjectKind(kind), value)
        except ValueError:
            raise ValueError(f"not a subject: {text[:40]!r}") from None

    @classmethod
    def of_pass(cls, pass_id: bytes) -> Subject:
        return cls(SubjectKind.PASS, pass_id.hex())

    def masked(self) -> str:
        """`pass:3f2a9c…`: enough to match a line with a record, not to identify anyone."""
        return f"{self.kind.value}:{self.value[:6]}…"


def mask_subject(subject: Subject | str | None) -> str | None:
    """The masked form of a subject (or of its text), for logs and screens."""
    if subject is None:
        return None
    if isinstance(subject, str):
        kind, _, value = subject.partition(":")
        return f"{kind}:{value[:6]}…"
    return subject.masked()


def _subject(value: Any) -> Subject:
    if isinstance(value, Subject):
        return value
    if not isinstance(value, str):
        raise ValueError("a subject is text like 'pass:…', 'qid:…', 'idh:…' or 'sealed:…'")
    return Subject.parse(value)


SubjectField = Annotated[
    Subject,
    PlainValidator(_subject),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": SUBJECT_PATTERN}),
]


def _real_time(value: str) -> str:
    parse_iso(value)  # the pattern lets 2024-02-30 through; the calendar does not
    return value


IsoTime = Annotated[str, Field(pattern=ISO_MS_PATTERN), AfterValidator(_real_time)]


class CheckinRecord(BaseModel):
    """One decision at a door, as recorded by the kiosk that made it (format 1)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=UUID_PATTERN, description="The kiosk's UUID for this record.")
    seq: int = Field(ge=1, le=INT64_MAX, description="Per-kiosk sequence number, never reused.")
    venue_id: Identifier = Field(description="The venue the kiosk belongs to.")
    kiosk_id: Identifier = Field(description="The kiosk, unique within its venue.")
    direction: Direction = Field(description="Entry or exit door.")
    code_kind: CodeKind = Field(description="What was shown: a code format, manual or unknown.")
    subject: SubjectField | None = Field(
        None, description="Pass id, QID, keyed ID hash or sealed ID; never an ID number."
    )
    masked_name: str | None = Field(
        None,
        max_length=100,
        pattern=NO_CONTROLS_PATTERN,
        description="The name as the screen showed it: `Nguyễn V** A`.",
    )
    verified: bool = Field(description="True only when a trusted issuer's signature checked out.")
    verdict: Verdict = Field(description="PASS or FAIL.")
    reason: str | None = Field(
        None, pattern=REASON_PATTERN, description="Why a FAIL, or a manual admit's reason."
    )
    manual: bool = Field(False, description="A guard's manual decision.")
    source: ReadSource = Field(
        ReadSource.CAMERA,
        description="How the code was read; absent (older kiosks) means the camera.",
    )
    created_utc: IsoTime = Field(description="When the code was decided, kiosk clock, UTC.")
    created_mono_ns: int = Field(
        ge=0, le=INT64_MAX, description="Monotonic clock at capture (ns), within `boot_id`."
    )
    boot_id: str = Field(
        max_length=64,
        pattern=NO_CONTROLS_PATTERN,
        description="Which boot the monotonic reading is from.",
    )


RECORD_FIELDS: tuple[str, ...] = tuple(CheckinRecord.model_fields)
