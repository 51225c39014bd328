"""POST /api/v1/enrol: a kiosk trades its enrolment code for its token and the list key."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from registry.core.enrolment import EnrolmentRefused, Enrolments
from registry.web.deps import API, RegistryDep, client_address, limited
from registry.web.ratelimit import TokenBuckets

router = APIRouter(prefix=API, tags=["kiosk"])

# Guessing is what this endpoint invites: few tries per address, and few for everyone
# together (many addresses guessing at once), each earned back slowly.
PER_ADDRESS = (10, 60)  # burst, seconds to earn one back
ALL_CALLERS = (60, 5)


class EnrolIn(BaseModel):
    code: Annotated[str, Field(min_length=1, max_length=32)]


class EnrolOut(BaseModel):
    venue_id: str
    kiosk_id: str
    venue_name: str
    timezone: str
    token: str = Field(description="The kiosk's bearer token (a new one: any older one stops).")
    list_key: str = Field(description="The list-signing public key (PEM): trust and deny lists.")
    registry_url: str = Field(description="This registry's address as the request reached it.")


def _limits(request: Request) -> None:
    limits = request.app.state.limits
    limits.setdefault("enrol_address", TokenBuckets(*PER_ADDRESS))
    limits.setdefault("enrol_all", TokenBuckets(*ALL_CALLERS))
    limited(request, "enrol_address", client_address(request))
    limited(request, "enrol_all", "*")


@router.post(
    "/enrol",
    response_model=EnrolOut,
    responses={
        403: {"description": "Unknown, used or expired code (one answer for all three)"},
        429: {"description": "Too many tries from this address, or from everyone"},
    },
)
def enrol(body: EnrolIn, request: Request, registry: RegistryDep) -> EnrolOut:
    """Trade a single-use enrolment code (from `kiosk-registry kiosk add`) for the kiosk's
    token and the list-signing public key. Public: the code is the credential."""
    _limits(request)
    try:
        done = Enrolments(registry.db, registry.keys).redeem(body.code)
    except EnrolmentRefused as exc:
        raise HTTPException(403, str(exc)) from None
    return EnrolOut(
        venue_id=done.venue_id,
        kiosk_id=done.kiosk_id,
        venue_name=done.venue_name,
        timezone=done.timezone,
        token=done.token,
        list_key=done.list_key,
        registry_url=str(request.base_url).rstrip("/"),
    )
