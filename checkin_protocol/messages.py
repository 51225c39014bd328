"""The bodies kiosks and the registry exchange under /api/v1 besides the signed lists."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from checkin_protocol.records import CheckinRecord

MAX_BATCH = 1000
# ±10 years in ms: anything larger is not a clock offset but a broken clock.
MAX_OFFSET_MS = 10 * 366 * 86400 * 1000


class UploadRequest(BaseModel):
    """A batch of records; the registry answers each record on its own."""

    model_config = ConfigDict(extra="forbid")

    format: Literal[1] = Field(1, description="Record format version (RECORD_FORMAT).")
    clock_offset_ms: int | None = Field(
        None,
        ge=-MAX_OFFSET_MS,
        le=MAX_OFFSET_MS,
        description="Registry time minus kiosk time, ms, as the kiosk last measured it.",
    )
    records: list[CheckinRecord] = Field(max_length=MAX_BATCH, description="Oldest first.")


class RecordStatus(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"  # the registry had it already: as good as accepted
    REJECTED = "rejected"  # refused for good; the kiosk keeps it and never resends it


class RecordResult(BaseModel):
    id: str | None = Field(description="The record's id as sent (None if it had none).")
    status: RecordStatus
    reason: str | None = Field(None, description="Why a record was rejected.")


class VenueOccupancy(BaseModel):
    """How many people are inside the venue by the registry's records: every kiosk's."""

    inside: int = Field(
        ge=0,
        le=10_000_000,
        description="PASS entries minus PASS exits today (the venue's local day), all kiosks.",
    )
    as_of: str = Field(
        max_length=32,
        description="The registry's clock when it counted (UTC ISO): a kiosk adds what it "
        "recorded since.",
    )


class UploadResponse(BaseModel):
    server_time: str = Field(description="The registry's clock when it answered (UTC ISO).")
    results: list[RecordResult] = Field(description="One per record sent, in the same order.")
    occupancy: VenueOccupancy | None = Field(
        None, description="The venue-wide count after this batch (absent from older registries)."
    )


class HeartbeatRequest(BaseModel):
    version: str | None = Field(None, max_length=32, description="Kiosk software version.")
    queue_depth: int | None = Field(None, ge=0, le=2**31 - 1, description="Records not synced.")
    last_decision: str | None = Field(None, max_length=32, description="Time of the last one.")
    clock_offset_ms: int | None = Field(None, ge=-MAX_OFFSET_MS, le=MAX_OFFSET_MS)
    trust_version: int | None = Field(None, ge=0, le=2**31 - 1)
    deny_version: int | None = Field(None, ge=0, le=2**31 - 1)


class ServerTime(BaseModel):
    server_time: str


class HeartbeatResponse(ServerTime):
    occupancy: VenueOccupancy | None = Field(
        None, description="The venue-wide count now (absent from older registries)."
    )
