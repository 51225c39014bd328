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
    retries: bool = Field(
        True,
        description="Where a code is found but does not read (focus blur, glare, a small code), "
        "read its region again: sharpened, equalised, enlarged, deconvolved, by WeChat's CNN.",
    )
    # 40 ms: on a Raspberry Pi 4 the cheap retries (sharpen, equalise, enlarge) and the
    # deconvolution fit in about two frames' budgets, and a frame with a hard code delays the
    # next by about one camera frame at 30 fps; WeChat's CNN (~45 ms here, several times that
    # on a Pi) does not fit: it joins the retries from a budget of 100 ms (bench/read_rate.py).
    retry_budget: Duration = Field(
        0.04,
        ge=0,
        le=1,
        description="Time the retries may spend on one camera frame; the next frame of the same "
        "code goes on where it stopped. From 100ms, WeChat's CNN reader is one of them.",
    )


class PyzbarDecoderConfig(DecoderBase):
    type: Literal["pyzbar"]


DecoderConfig = Annotated[ZxingDecoderConfig | PyzbarDecoderConfig, Field(discriminator="type")]
