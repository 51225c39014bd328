"""The deny list as health officers manage it: bar an ID number for a time, list, lift."""

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, Field

from checkin_protocol.records import REASON_PATTERN, SUBJECT_PATTERN, Subject, SubjectKind
from registry.auth import Caller, Role
from registry.core.audit import record_read
from registry.core.denials import MAX_DENY_DAYS, NotDenied
from registry.core.idnumbers import ID_NUMBER_PATTERN
from registry.web.deps import API, RegistryDep, require
from registry.web.jsontypes import JsonBool, JsonOptInt

router = APIRouter(prefix=f"{API}/deny", tags=["health"])
Officer = Annotated[Caller, require(Role.HEALTH_OFFICER)]


class DenyIdIn(BaseModel):
    id_number: str = Field(
        pattern=ID_NUMBER_PATTERN, description="A CCCD's 12 digits or a CMND's 9"
    )
    reason_code: str = Field("health_order", pattern=REASON_PATTERN)
    days: JsonOptInt = Field(None, ge=1, le=MAX_DENY_DAYS, description="Default: the setting")
    public: JsonBool = Field(False, description="May the kiosk show the reason to the holder?")


class DenyEntryOut(BaseModel):
    subject: str
    reason_code: str
    expires: str


@router.post("", response_model=DenyEntryOut)
def deny_id(body: DenyIdIn, c: Officer, registry: RegistryDep) -> dict[str, Any]:
    """Bar an ID number (by its keyed hash) at every kiosk until the entry expires. Audited."""
    return registry.denials.deny_id(
        c.name, body.id_number, reason_code=body.reason_code, days=body.days, public=body.public
    )


@router.get("")
def entries(
    c: Annotated[Caller, require(Role.HEALTH_OFFICER, Role.ADMIN)],
    registry: RegistryDep,
    kind: Annotated[SubjectKind | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[dict[str, Any]]:
    """Deny entries in force, newest first. Audited (who read the list, how many)."""
    found = registry.denials.entries(kind, limit)
    record_read(registry.db, c.name, "deny_list_read", {"kind": kind, "limit": limit}, len(found))
    return found


@router.delete("/{subject}", responses={404: {"description": "Not on the deny list"}})
def lift(
    subject: Annotated[str, Path(pattern=SUBJECT_PATTERN)],
    c: Officer,
    registry: RegistryDep,
) -> dict[str, str]:
    """Take an entry off the deny list at once. Audited."""
    try:
        parsed = Subject.parse(subject)
    except ValueError:
        raise HTTPException(422, "not a subject (pass:…, qid:… or idh:…)") from None
    try:
        registry.denials.lift(c.name, parsed)
    except NotDenied as exc:
        raise HTTPException(404, str(exc)) from None
    return {"lifted": str(parsed)}
