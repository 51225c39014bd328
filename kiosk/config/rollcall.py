"""The roll call's settings: when an entry with no exit is taken for someone who left."""

from __future__ import annotations

from pydantic import Field

from kiosk.config.base import Strict


class RollCallConfig(Strict):
    assume_left_after: float = Field(
        12.0,
        gt=0,
        le=168,
        description="Hours after an entry with no exit scanned since (a single-door venue, "
        "a door without an exit reader) that the roll call lists the person apart, as who "
        "may be inside because no exit was scanned.",
    )
