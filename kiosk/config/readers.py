"""Dedicated QR readers: serial, HID or replay, chosen by `type`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BeforeValidator,
    Field,
    field_validator,
)

from checkin_protocol.times import parse_duration
from kiosk.config.base import (
    ConfigPath,
    Duration,
    Strict,
    regular_file,
)

# A device path: /dev/ttyACM0, /dev/input/by-id/usb-...-event-kbd (udev keeps by-id paths
# stable across replugging, so a reader that comes back is found at the same path).
DevicePath = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^/\S+$")]
# Past ~1 s a person would wait visibly; under 10 ms a slow scanner's pauses would split codes.
Silence = Annotated[float, BeforeValidator(parse_duration), Field(ge=0.01, le=1.0)]


class SerialReaderConfig(Strict):
    """A USB-CDC (virtual serial port) scanner: raw bytes, so UTF-8 names arrive intact."""

    type: Literal["serial"]
    device: DevicePath = Field(description="The serial device, e.g. /dev/ttyACM0.")
    baud: int = Field(115200, ge=1200, le=4_000_000, description="Ignored by true USB-CDC.")
    terminator: Literal["crlf", "cr", "lf", "none"] = Field(
        "crlf", description="What the scanner sends after each code; none = silence only."
    )
    silence: Silence = Field(0.05, description="A pause this long also ends a code.")


class HidReaderConfig(Strict):
    """A keyboard-wedge scanner, grabbed through evdev so its keys never reach the screen."""

    type: Literal["hid"]
    device: DevicePath = Field(description="The evdev device, e.g. /dev/input/by-id/...-kbd.")
    silence: Silence = Field(0.05, description="A pause this long ends a code (besides Enter).")


class ReplayReaderConfig(Strict):
    """The readers' fake: plays codes from a UTF-8 text file, one per line (tests, demo)."""

    type: Literal["replay"]
    path: ConfigPath = Field(description="A text file of codes, one per line.")
    source: Literal["serial", "hid"] = Field("serial", description="Which reader it plays.")
    interval: Duration = Field(2.0, gt=0, le=3600, description="Time between codes.")
    loop: bool = Field(False, description="Start again after the last code.")

    @field_validator("path")
    @classmethod
    def _is_file(cls, value: Path) -> Path:
        return regular_file(value)


ReaderConfig = Annotated[
    SerialReaderConfig | HidReaderConfig | ReplayReaderConfig, Field(discriminator="type")
]
