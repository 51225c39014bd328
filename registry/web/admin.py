"""What the admin watches: sizes, the deny list against its budget, alarms, retention runs."""

from typing import Annotated, Any

from fastapi import APIRouter, Request

from registry.auth import Caller, Role
from registry.core.common import iso_ms
from registry.web.deps import API, RegistryDep, require

router = APIRouter(prefix=API, tags=["admin"])


@router.get("/status")
def status(
    _: Annotated[Caller, require(Role.ADMIN)], request: Request, registry: RegistryDep
) -> dict[str, Any]:
    """Row counts, the deny list's size and budget, alarms, the last retention run."""
    out = registry.status()
    job = request.app.state.purge_job
    last = job.last if job is not None else None
    out["retention_job"] = {
        "interval_s": registry.settings.purge_interval,
        "last_run": iso_ms(last["at_ms"]) if last else None,
        "last_deleted": last["deleted"] if last else None,
    }
    return out
