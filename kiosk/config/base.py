"""What every config section shares: the strict base model, paths, labels, times, small files."""

from __future__ import annotations

import re
from datetime import time as dtime
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
)

from checkin_protocol.records import IDENTIFIER_PATTERN
from checkin_protocol.times import parse_duration
from kiosk.config.yamlfile import FileRefused, read_limited

Duration = Annotated[float, BeforeValidator(parse_duration)]


def _resolve_path(value: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir")
    value = value.expanduser()
    if base is not None and not value.is_absolute():
        value = Path(base) / value
    return value


# Relative paths in a config file are relative to that file, not to the working directory.
ConfigPath = Annotated[Path, AfterValidator(_resolve_path)]
Identifier = Annotated[str, Field(pattern=IDENTIFIER_PATTERN)]
# Text shown on screen: a control character (a NUL written as "\0") makes pygame's render fail.
PRINTABLE = r"^[^\x00-\x1f\x7f-\x9f]+$"
Label = Annotated[str, Field(min_length=1, max_length=64, pattern=PRINTABLE)]


# Key files are a few hundred bytes; a font a few megabytes. Reading is bounded and refuses
# anything but a regular file, so /dev/zero or a FIFO named here cannot hang `check-config`.
KEY_FILE_BYTES = 64 * 1024
FONT_FILE_BYTES = 32 * 1024 * 1024
FONT_MAGIC = (b"\x00\x01\x00\x00", b"OTTO", b"true", b"ttcf", b"wOFF", b"wOF2")
# A venue logo is a small PNG or JPEG; anything else is refused when the config loads.
LOGO_FILE_BYTES = 4 * 1024 * 1024
LOGO_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


def small_file(path: Path, limit: int = KEY_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; ValueError naming the file."""
    try:
        return read_limited(path, limit)
    except FileRefused as exc:
        raise ValueError(f"{path}: {exc}") from exc


_CLOCK = re.compile(r"^\s*([0-9]{1,2}):([0-5][0-9])(?::([0-5][0-9]))?\s*$")


def _clock(value: Any) -> Any:
    # Unquoted 19:00 was the integer 1140 in YAML 1.1, which pydantic reads as 00:19 (seconds);
    # the loader now keeps it as text, and a number here is refused, never taken as seconds.
    if isinstance(value, bool | int | float):
        raise ValueError('a time of day is written HH:MM, e.g. "07:30"')
    if isinstance(value, str):
        match = _CLOCK.match(value)
        if not match or int(match.group(1)) > 23:
            raise ValueError(f'not a time of day: {value!r} (use HH:MM, e.g. "07:30")')
        hour, minute, second = match.groups()
        return dtime(int(hour), int(minute), int(second or 0))
    return value


Clock = Annotated[dtime, BeforeValidator(_clock)]


def empty_is_default(value: Any) -> Any:
    return {} if value is None else value


class Strict(BaseModel):
    # NaN and infinity pass no bound check a reader would expect (.nan <= 60 is not False).
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
