"""The door outputs: the relay and the HTTP hook."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
)

from kiosk.config.base import (
    Duration,
    Strict,
)


class RelayConfig(Strict):
    pin: int | str = Field(
        description="GPIO pin of the door or turnstile relay (BCM number or name)."
    )
    active_high: bool = Field(True, description="False for relay boards that switch on a low pin.")
    pulse: Duration = Field(1.0, gt=0, le=30, description="How long the relay opens on PASS.")


class HookConfig(Strict):
    url: str = Field(
        pattern=r"^https?://[^\s/]+(/\S*)?$",
        max_length=2000,
        description="POSTed one JSON object per decision.",
    )
    timeout: Duration = Field(2.0, gt=0, le=30)
    on: list[Literal["PASS", "FAIL"]] = Field(
        default_factory=lambda: ["PASS", "FAIL"],  # type: ignore[arg-type]
        min_length=1,
    )


class DoorConfig(Strict):
    relay: RelayConfig | None = Field(
        None, description="Open a door relay on PASS (never on FAIL)."
    )
    hook: HookConfig | None = Field(None, description="Tell a building system about decisions.")
