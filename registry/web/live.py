"""A venue's live view, for its controllers and admins."""

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException

from registry.auth import Caller, Role
from registry.core.common import RegistryError
from registry.web.deps import API, RegistryDep, VenueId, check_venue, require

router = APIRouter(prefix=API, tags=["venue"])


@router.get("/venues/{venue_id}/live")
def live(
    venue_id: VenueId,
    c: Annotated[Caller, require(Role.ADMIN, Role.CONTROLLER)],
    registry: RegistryDep,
) -> dict[str, Any]:
    """Entries and exits as they arrive, names and identifiers masked; counts; kiosks."""
    check_venue(c, venue_id)
    try:
        return registry.live(venue_id)
    except RegistryError as exc:
        raise HTTPException(404, str(exc)) from None
