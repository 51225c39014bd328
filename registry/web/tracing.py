"""Contact tracing for health officers, and the audit log that records every trace."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from checkin_protocol.records import SUBJECT_PATTERN, Subject
from registry.auth import Caller, Role
from registry.core.common import MAX_SHOWN_MS, MIN_SHOWN_MS, RegistryError, text_problem
from registry.core.idnumbers import ID_NUMBER_PATTERN
from registry.web.deps import API, RegistryDep, require
from registry.web.jsontypes import JsonInt, JsonOptTime

router = APIRouter(prefix=API)


def _ms(when: datetime | None) -> int | None:
    """Epoch ms of a time given, held to what the views show (a year 1 or 9999 is a time)."""
    if when is None:
        return None
    return min(max(int(when.timestamp() * 1000), MIN_SHOWN_MS), MAX_SHOWN_MS)


Limit = Field(1000, ge=1, le=5000, description="Contacts per page (visits come whole).")
Offset = Field(0, ge=0, le=10_000_000, description="`next_offset` of the page before.")
# What _check_reason takes, as a pattern (no lookaround: pydantic's regex has none): no
# control character but tab, and five characters or more from the first non-space to the last.
_ALLOWED = r"[^\x00-\x08\x0a-\x1f\x7f-\x9f]"
_INK = r"[^\s\x00-\x1f\x7f-\x9f]"
_PAD = r"[^\S\x00-\x08\x0a-\x1f\x7f-\x9f]"
REASON_PATTERN = f"^{_PAD}*{_INK}{_ALLOWED}{{3,}}{_INK}{_PAD}*$"
Reason = Field(
    min_length=5,
    max_length=200,
    pattern=REASON_PATTERN,
    description="Why this person is traced (a case, an order): kept in the audit log as "
    "evidence; required, as on the tracing page.",
)


def _check_reason(reason: str) -> None:
    # A query's text is not checked by its length alone: no control characters in the log.
    problem = text_problem(reason) or (None if reason.strip() else "reason: empty")
    if problem or len(reason.strip()) < 5:
        raise HTTPException(422, f"reason: {problem or 'at least 5 characters'}")


@router.get(
    "/tracing",
    tags=["health"],
    response_model=None,
    responses={
        200: {
            "description": "subject, window_minutes, visits (venue_id, kiosk_id, direction, "
            "time), contacts (subject, masked_name, venue_id, time, minutes_apart), next_offset",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
def tracing(
    c: Annotated[Caller, require(Role.HEALTH_OFFICER)],
    registry: RegistryDep,
    subject: Annotated[str, Query(pattern=SUBJECT_PATTERN)],
    reason: Annotated[
        str,
        Query(min_length=5, max_length=200, pattern=REASON_PATTERN, description=Reason.description),
    ],
    window_minutes: Annotated[int, Query(ge=1, le=24 * 60)] = 30,
    since: Annotated[
        JsonOptTime, Query(description="ISO time; default: the retention period")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=5000, description=Limit.description)] = 1000,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description=Offset.description)] = 0,
) -> JSONResponse:
    """Where a subject was recorded and who else was there within ±window. Audited.

    Contacts come a page at a time in (subject, venue) order; `next_offset` is the next
    page's `offset`, or null on the last page."""
    since_ms = _ms(since)
    _check_reason(reason)
    # Plain JSON values already: straight to the encoder, not walked through FastAPI's.
    return JSONResponse(
        registry.trace(
            c, Subject.parse(subject), window_minutes, since_ms, reason, limit=limit, offset=offset
        )
    )


class TraceByIdIn(BaseModel):
    """An ID number in the body, never in a URL that proxies and browsers keep."""

    model_config = ConfigDict(extra="forbid")
    id_number: str = Field(
        pattern=ID_NUMBER_PATTERN, description="A CCCD's 12 digits or a CMND's 9"
    )
    window_minutes: JsonInt = Field(
        30, ge=1, le=24 * 60, description="Minutes either side of a visit"
    )
    since: JsonOptTime = Field(None, description="ISO time; default: retention.")
    reason: str = Reason
    limit: JsonInt = Limit
    offset: JsonInt = Offset


@router.post("/tracing/by-id-number", tags=["health"])
def tracing_by_id_number(
    c: Annotated[Caller, require(Role.HEALTH_OFFICER)], registry: RegistryDep, body: TraceByIdIn
) -> dict[str, Any]:
    """A trace by ID number: the registry derives the subject; the number is neither stored
    nor logged (the audit log holds the derived subject). Audited."""
    since_ms = _ms(body.since)
    _check_reason(body.reason)
    try:
        return registry.views.trace_id(
            c,
            registry.keys,
            body.id_number,
            body.window_minutes,
            since_ms,
            body.reason,
            limit=body.limit,
            offset=body.offset,
        )
    except RegistryError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/audit", tags=["admin"])
def audit(c: Annotated[Caller, require(Role.ADMIN)], registry: RegistryDep) -> list[dict[str, Any]]:
    """The latest audit entries; reading them is audited too (the first entry shown)."""
    return registry.views.read_audit(c.name)
