"""Statistics per venue and per area, for admins and health officers."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from registry.auth import Caller, Role
from registry.web.deps import API, RegistryDep, require

router = APIRouter(prefix=API, tags=["health"])


@router.get("/stats")
def stats(
    _: Annotated[Caller, require(Role.ADMIN, Role.HEALTH_OFFICER)],
    registry: RegistryDep,
    days: Annotated[int, Query(ge=1, le=60)] = 7,
) -> dict[str, Any]:
    """Entries and exits per venue and per district/province per day; kiosks online."""
    return registry.stats(days)
