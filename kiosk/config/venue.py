"""The venue and this kiosk: ids, name, time zone, direction."""

from __future__ import annotations

import zoneinfo

from pydantic import (
    Field,
    field_validator,
)

from checkin_protocol.records import Direction
from kiosk.config.base import (
    PRINTABLE,
    Identifier,
    Strict,
)


class VenueConfig(Strict):
    id: Identifier = Field(description="Venue id as registered with the check-in registry.")
    name: str = Field(
        min_length=1, max_length=80, pattern=PRINTABLE, description="Shown on the idle screen."
    )
    timezone: str = Field(
        "Asia/Ho_Chi_Minh", description="IANA time zone for opening hours and 'today'."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class KioskConfig(Strict):
    id: Identifier = Field(description="This kiosk's id, unique within the venue.")
    direction: Direction = Field(
        Direction.ENTRY, description="Whether this door records entries or exits."
    )
