"""The kiosk's SQLite database: path, timeouts, free space, retention."""

from __future__ import annotations

from pathlib import Path

from pydantic import (
    Field,
    field_validator,
)

from kiosk.config.base import (
    ConfigPath,
    Duration,
    Strict,
)


class StorageConfig(Strict):
    path: ConfigPath = Field(
        Path("kiosk.db"), validate_default=True, description="SQLite database file."
    )
    retention: Duration = Field(
        21 * 86400.0, ge=3600, le=3650 * 86400, description="Records older than this are purged."
    )
    min_free_mb: int = Field(
        20,
        ge=0,
        le=100_000,
        description="Below this much free disk, refuse to decide (error screen).",
    )
    busy_timeout: Duration = Field(2.0, gt=0, le=60, description="Wait for a locked database.")

    @field_validator("path")
    @classmethod
    def _not_a_folder(cls, value: Path) -> Path:
        if value.is_dir():
            raise ValueError(f"{value} is a folder; name the database file in it")
        return value
