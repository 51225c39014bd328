"""What every config section shares: the strict base model, paths, labels, times, small files."""

from __future__ import annotations

import os
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


# Linux's limits, in bytes of the file system's encoding (PATH_MAX counts the final NUL). A
# longer path or name is refused here, with its key and line, rather than met as ENAMETOOLONG
# from a stat in a validator, in `check-config` or at start.
PATH_MAX_BYTES = 4095
NAME_MAX_BYTES = 255
_SHOWN = 60  # characters of an over-long path shown in the message


def _shown(text: str) -> str:
    return repr(text if len(text) <= _SHOWN else text[:_SHOWN] + "…")


def _within_limits(value: Path) -> None:
    text = str(value)
    if "\x00" in text:
        raise ValueError("a path cannot contain a NUL character")
    try:
        # Strict: a surrogate (a "\udcff" escape standing for a byte that is not UTF-8)
        # would print as garbage in every message and log line that names the file.
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError(f"not UTF-8 text: {_shown(text)}; rename the file") from None
    if size > PATH_MAX_BYTES:
        raise ValueError(
            f"path is {size:,} bytes long, over Linux's limit of {PATH_MAX_BYTES:,}: {_shown(text)}"
        )
    for part in value.parts:
        length = len(part.encode("utf-8"))
        if length > NAME_MAX_BYTES:
            raise ValueError(
                f"a name in the path is {length:,} bytes long, over Linux's limit of "
                f"{NAME_MAX_BYTES}: {_shown(part)}"
            )


def _reachable(value: Path) -> None:
    """Refuse a path that cannot even be looked at (a folder on the way not searchable): every
    later check (exists, is_dir, open) would raise instead of answer. Missing is for the
    key's own validator to judge (a database is created, a key file must be there)."""
    try:
        os.stat(value)
    except (FileNotFoundError, NotADirectoryError):
        pass
    except PermissionError:
        raise ValueError(
            f"{_shown(str(value))}: permission denied (a folder on the way cannot be entered "
            "by this user)"
        ) from None
    except OSError as exc:
        raise ValueError(f"{_shown(str(value))}: {exc.strerror or exc}") from None


def _resolve_path(value: Path, info: ValidationInfo) -> Path:
    _within_limits(value)
    base = (info.context or {}).get("base_dir")
    try:
        value = value.expanduser()
    except RuntimeError:  # ~name of a user this system does not have
        raise ValueError(f"cannot expand {_shown(str(value))}: no such user") from None
    if base is not None and not value.is_absolute():
        value = Path(base) / value
    _within_limits(value)  # joined to the config's folder it may have grown too long
    _reachable(value)
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


def regular_file(path: Path) -> Path:
    """`path` if it is a file this user can read; ValueError saying what it is instead."""
    if path.is_dir():
        raise ValueError(f"{path} is a folder, not a file")
    if not path.exists():
        raise ValueError(f"no such file: {path}")
    if not path.is_file():  # a FIFO would block the reader, a device never end
        raise ValueError(f"{path} is not a regular file (a device, a pipe or a socket)")
    if not os.access(path, os.R_OK):
        raise ValueError(f"cannot read {path} (no permission for this user)")
    return path


def readable_folder(path: Path, *, or_file: bool = False) -> Path:
    """`path` if it is a folder (or, with `or_file`, a file) this user can read and enter."""
    if path.is_dir():
        if not os.access(path, os.R_OK | os.X_OK):
            raise ValueError(f"cannot read the folder {path} (no permission for this user)")
        return path
    if not path.exists():
        raise ValueError(f"no such {'file or folder' if or_file else 'folder'}: {path}")
    if not or_file:
        raise ValueError(f"{path} is a file, not a folder")
    if not path.is_file():
        raise ValueError(f"{path} is not a folder or a regular file")
    return regular_file(path)


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
