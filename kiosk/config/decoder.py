"""The QR decoder: zxing-cpp or pyzbar, chosen by `type`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    Field,
)

from kiosk.config.base import (
    Duration,
    Strict,
)


class DecoderBase(Strict):
    repeat_window: Duration = Field(
        5.0,
        ge=0,
        le=3600,
        description="The same code seen again within this time of its last sighting is one scan.",
    )


class ZxingDecoderConfig(DecoderBase):
    type: Literal["zxing-cpp"]
    try_invert: bool = Field(True, description="Also read light-on-dark (dark mode) codes.")
    try_downscale: bool = Field(True, description="Also search downscaled images (large codes).")


class PyzbarDecoderConfig(DecoderBase):
    type: Literal["pyzbar"]


DecoderConfig = Annotated[ZxingDecoderConfig | PyzbarDecoderConfig, Field(discriminator="type")]
