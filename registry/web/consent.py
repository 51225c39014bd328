"""The consent text a health declaration asks for, for forms and apps that declare by the API."""

from fastapi import APIRouter
from pydantic import BaseModel, Field

from registry.core import consent
from registry.web.deps import API

router = APIRouter(prefix=API, tags=["public"])


class ConsentOut(BaseModel):
    version: str = Field(description="Send this as the declaration's `consent` once ticked")
    vi: str = Field(description="The text in Vietnamese, shown beside an unticked box")
    en: str = Field(description="The text in English")


@router.get("/consent", response_model=ConsentOut)
def current_consent() -> ConsentOut:
    """The consent text a declaration needs, in force now: show it beside a box the person
    ticks themselves (never ticked in advance), then send its version with the declaration."""
    vi, en = consent.TEXTS[consent.CURRENT]
    return ConsentOut(version=consent.CURRENT, vi=vi, en=en)
