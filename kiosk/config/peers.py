"""The venue's other kiosks on the LAN."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    Field,
    field_validator,
)

from kiosk.config.base import (
    ConfigPath,
    Duration,
    Strict,
    small_file,
)

_HOST_PORT = re.compile(r"^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]{1,253})):([0-9]{1,5})$")


def split_host_port(value: str) -> tuple[str, int]:
    """`host:port` or `[v6]:port` → (host, port); ValueError otherwise."""
    match = _HOST_PORT.match(value)
    if not match or not 1 <= int(match.group(3)) <= 65535:
        raise ValueError(f"not host:port (port 1-65535): {value!r}")
    return match.group(1) or match.group(2), int(match.group(3))


def _host_port(value: Any) -> Any:
    if isinstance(value, str):
        split_host_port(value)
    return value


HostPort = Annotated[str, Field(max_length=300), AfterValidator(_host_port)]
# A venue secret shorter than this is guessable offline from one captured message.
MIN_SECRET_BYTES = 16


class PeersConfig(Strict):
    """Kiosks of one venue tell each other their decisions over the LAN (UDP), encrypted and
    authenticated with a secret the venue's kiosks share, so that they keep one count and
    anti-passback while the registry cannot be reached."""

    listen: HostPort = Field(description="Where this kiosk receives its peers, e.g. 0.0.0.0:7700.")
    addresses: list[HostPort] = Field(
        min_length=1, max_length=32, description="The other kiosks of the venue, host:port each."
    )
    secret_file: ConfigPath = Field(
        description="The venue's shared secret (the same file on each of its kiosks, mode 600, "
        "at least 16 bytes, e.g. `head -c 32 /dev/urandom | base64`)."
    )
    interval: Duration = Field(
        2.0, ge=0.01, le=300, description="How often each peer is told what this kiosk has."
    )

    @field_validator("secret_file")
    @classmethod
    def _secret_private(cls, value: Path) -> Path:
        data = small_file(value).strip()
        if len(data) < MIN_SECRET_BYTES:
            raise ValueError(f"{value}: the venue secret needs at least {MIN_SECRET_BYTES} bytes")
        mode = value.stat().st_mode
        if mode & 0o077:
            raise ValueError(
                f"{value} is readable by others (mode {mode & 0o777:o}); run: chmod 600 {value}"
            )
        return value
