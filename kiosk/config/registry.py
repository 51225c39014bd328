"""The registry the records sync to."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    Field,
    field_validator,
)

from kiosk.config.base import (
    ConfigPath,
    Duration,
    Strict,
    small_file,
)

Url = Annotated[str, Field(pattern=r"^https?://[^\s/]+(/.*)?$")]


class RegistryConfig(Strict):
    url: list[Url] = Field(
        min_length=1,
        max_length=8,
        description="The registry's base URL, or a list of them (the same registry on other "
        "hosts): when one cannot be reached, the next is tried.",
    )
    token_file: ConfigPath = Field(
        description="This kiosk's token; must not be readable by others."
    )
    list_key: ConfigPath = Field(description="The registry's list-signing public key (lists.pub).")
    ca_file: ConfigPath | None = Field(
        None, description="CA bundle for the registry's TLS certificate."
    )
    batch_size: int = Field(200, ge=1, le=1000, description="Records per upload.")
    connect_timeout: Duration = Field(5.0, gt=0, le=60)
    read_timeout: Duration = Field(15.0, gt=0, le=300)
    sync_interval: Duration = Field(5.0, gt=0, le=3600, description="Upload pause when idle.")
    heartbeat_interval: Duration = Field(60.0, gt=0, le=3600)
    list_refresh: Duration = Field(300.0, gt=0, le=86400, description="How often to fetch lists.")
    backoff_max: Duration = Field(300.0, gt=0, le=3600, description="Longest wait between retries.")

    @field_validator("url", mode="before")
    @classmethod
    def _one_or_more(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("url")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len({u.rstrip("/") for u in value}) != len(value):
            raise ValueError("a URL is listed twice")
        return value

    @field_validator("token_file")
    @classmethod
    def _token_private(cls, value: Path) -> Path:
        small_file(value)  # `run` reads it whole: a device or FIFO must not get that far
        mode = value.stat().st_mode
        if mode & 0o077:
            raise ValueError(
                f"{value} is readable by others (mode {mode & 0o777:o}); run: chmod 600 {value}"
            )
        return value

    @field_validator("list_key")
    @classmethod
    def _list_key_loads(cls, value: Path) -> Path:
        from checkin_protocol.keys import load_public_key

        small_file(value)
        load_public_key(value)
        return value

    @field_validator("ca_file")
    @classmethod
    def _ca_readable(cls, value: Path | None) -> Path | None:
        if value is not None:
            small_file(value, 16 * 1024 * 1024)
        return value
