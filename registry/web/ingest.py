"""Kiosks reporting: record batches and heartbeats."""

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException
from pydantic import Field, SkipValidation, model_validator

from checkin_protocol import messages
from checkin_protocol.messages import (
    MAX_BATCH,
    MAX_OFFSET_MS,
    HeartbeatResponse,
    RecordResult,
    UploadResponse,
    VenueOccupancy,
)
from checkin_protocol.records import CheckinRecord
from registry.auth import Caller, Role
from registry.core.common import TEXT_PATTERN, iso_ms, now_ms
from registry.core.ingest import venue_occupancy
from registry.service import Registry
from registry.web.deps import API, RegistryDep, require
from registry.web.jsontypes import JsonOptInt

router = APIRouter(prefix=API, tags=["kiosk"])


class UploadRequest(messages.UploadRequest):
    # UploadRequest as published, each record validated later on its own: SkipValidation keeps
    # the schema (records typed as CheckinRecord) but leaves the records as the JSON values sent,
    # so one bad record is answered `rejected` rather than a 422 for the whole batch.
    __doc__ = messages.UploadRequest.__doc__

    clock_offset_ms: JsonOptInt = Field(
        None,
        ge=-MAX_OFFSET_MS,
        le=MAX_OFFSET_MS,
        description="Registry time minus kiosk time, ms, as the kiosk last measured it.",
    )
    # Typed as CheckinRecord or anything: the batch is taken whatever its records are, and
    # each that is not a CheckinRecord is answered `rejected` with why (the schema says so).
    records: Annotated[list[CheckinRecord | Any], SkipValidation] = Field(
        max_length=MAX_BATCH,
        description="Oldest first; each one that is not a CheckinRecord is answered "
        "`rejected`, with why, in results.",
    )

    @model_validator(mode="before")
    @classmethod
    def _a_list(cls, data: Any) -> Any:
        # SkipValidation skips the list too: `records: null` must be the caller's 422, not a
        # server error. Its length is the route's to check (413: too large, not malformed).
        if isinstance(data, dict) and not isinstance(data.get("records"), list):
            raise ValueError("records: a list of records")
        return data


class HeartbeatRequest(messages.HeartbeatRequest):
    # As published, its free text held to what the registry stores (no control characters).
    __doc__ = messages.HeartbeatRequest.__doc__

    version: str | None = Field(
        None, max_length=32, pattern=TEXT_PATTERN, description="Kiosk software version."
    )
    queue_depth: JsonOptInt = Field(None, ge=0, le=2**31 - 1, description="Records not synced.")
    clock_offset_ms: JsonOptInt = Field(
        None, ge=-MAX_OFFSET_MS, le=MAX_OFFSET_MS, description="Registry minus kiosk time, ms."
    )
    trust_version: JsonOptInt = Field(
        None, ge=0, le=2**31 - 1, description="Trust list version held."
    )
    deny_version: JsonOptInt = Field(
        None, ge=0, le=2**31 - 1, description="Deny list version held."
    )
    last_decision: str | None = Field(
        None, max_length=32, pattern=TEXT_PATTERN, description="Time of the last one."
    )


@router.post("/records", response_model=UploadResponse)
def upload(
    body: UploadRequest, c: Annotated[Caller, require(Role.KIOSK)], registry: RegistryDep
) -> UploadResponse:
    """Store a batch of records; idempotent by record id (a resent batch adds nothing)."""
    raw: list[object] = list(body.records)  # JSON values, not yet CheckinRecords
    if len(raw) > registry.settings.max_batch:
        raise HTTPException(413, f"at most {registry.settings.max_batch} records per batch")
    results = registry.ingest(c, raw, body.clock_offset_ms)
    return UploadResponse(
        server_time=iso_ms(now_ms()),
        results=[RecordResult(id=r.id, status=r.status, reason=r.reason) for r in results],
        occupancy=_occupancy(registry, c),
    )


@router.post("/heartbeat", response_model=HeartbeatResponse)
def heartbeat(
    body: HeartbeatRequest, c: Annotated[Caller, require(Role.KIOSK)], registry: RegistryDep
) -> HeartbeatResponse:
    registry.heartbeat(c, body)
    return HeartbeatResponse(server_time=iso_ms(now_ms()), occupancy=_occupancy(registry, c))


def _occupancy(registry: Registry, caller: Caller) -> VenueOccupancy | None:
    """The venue-wide count, after this kiosk's batch: every sync answer carries it."""
    if caller.kiosk_venue is None:
        return None
    found = venue_occupancy(registry.db, caller.kiosk_venue)
    if found is None:
        return None
    return VenueOccupancy(inside=found.inside, as_of=iso_ms(found.as_of_ms))
