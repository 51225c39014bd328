"""Statistics per venue and per area, for admins and health officers."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from checkin_protocol.records import IDENTIFIER_PATTERN
from registry.auth import Caller, Role
from registry.web.deps import API, RegistryDep, require

router = APIRouter(prefix=API, tags=["health"])


@router.get(
    "/stats",
    response_model=None,
    responses={
        200: {
            "description": "per_venue_day and per_area_day (entries, exits, refused per local "
            "day), next_after (the next page's after_venue/after_day, or null), kiosks",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
def stats(
    _: Annotated[Caller, require(Role.ADMIN, Role.HEALTH_OFFICER)],
    registry: RegistryDep,
    days: Annotated[int, Query(ge=1, le=60)] = 7,
    limit: Annotated[
        int, Query(ge=1, le=10_000, description="Venue-days per page (areas come whole).")
    ] = 1000,
    after_venue: Annotated[
        str | None,
        Query(
            pattern=IDENTIFIER_PATTERN,
            max_length=64,
            description="`next_after.venue_id` of the page before.",
        ),
    ] = None,
    after_day: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
            description="`next_after.day` of it; without after_venue it has no effect, and "
            "after_venue without it starts after that venue's last day.",
        ),
    ] = None,
) -> JSONResponse:
    """Entries, exits and refusals per venue and per district/province per local day of each
    venue, over its last `days` days; kiosks online. Venue-days are paged in (venue, day)
    order: pass the answer's `next_after` back as `after_venue` and `after_day`."""
    after = (after_venue, after_day or "9999-12-31") if after_venue is not None else None
    # Plain JSON values already: straight to the encoder, not walked through FastAPI's.
    return JSONResponse(registry.views.stats(days, limit, after))
