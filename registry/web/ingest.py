"""Kiosks reporting: record batches and heartbeats."""

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException
from pydantic import Field, SkipValidation, model_validator

from checkin_protocol import messages
from checkin_protocol.messages import (
    MAX_BATCH,
    HeartbeatRequest,
    HeartbeatResponse,
    RecordResult,
    UploadResponse,
    VenueOccupancy,
)
from checkin_protocol.records import CheckinRecord
from registry.auth import Caller, Role
from registry.core.common import iso_ms, now_ms
from registry.core.ingest import venue_occupancy
from registry.service import Registry
from registry.web.deps import API, RegistryDep, require

router = APIRouter(prefix=API, tags=["kiosk"])


class UploadRequest(messages.UploadRequest):
    # UploadRequest as published, each record validated later on its own: SkipValidation keeps
    # the schema (records typed as CheckinRecord) but leaves the records as the JSON values sent,
    # so one bad record is answered `rejected` rather than a 422 for the whole batch.
    __doc__ = messages.UploadRequest.__doc__

    records: Annotated[list[CheckinRecord], SkipValidation] = Field(
        max_length=MAX_BATCH, description="Oldest first."
    )

    @model_validator(mode="before")
    @classmethod
    def _a_list(cls, data: Any) -> Any:
        # SkipValidation skips the list too: `records: null` must be the caller's 422, not a
        # server error. Its length is the route's to check (413: too large, not malformed).
        if isinstance(data, dict) and not isinstance(data.get("records"), list):
            raise ValueError("records: a list of records")
        return data


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
