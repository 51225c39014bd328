"""Registry settings: where its data and keys live, which database, and its time limits."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DAY = 86400


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    retention_days: int = 21
    list_validity: int = 7 * DAY  # a signed list is valid this long after it was served
    declaration_pass_validity: int = 7 * DAY
    online_window: int = 180  # a kiosk is online if it sent a heartbeat this recently (s)
    max_batch: int = 1000

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @classmethod
    def load(cls, data_dir: Path | None = None, database_url: str | None = None) -> Settings:
        """Flags first, then REGISTRY_DATA / REGISTRY_DB, then ./registry-data with SQLite."""
        data = Path(data_dir or os.environ.get("REGISTRY_DATA", "registry-data")).resolve()
        url = database_url or os.environ.get("REGISTRY_DB") or f"sqlite:///{data / 'registry.db'}"
        retention = int(os.environ.get("REGISTRY_RETENTION_DAYS", "21"))
        return cls(data_dir=data, database_url=url, retention_days=retention)
