"""The venue's local deny list: pass ids and subjects refused entry, each with a reason."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, RootModel, model_validator

from kiosk.passes.privacy import SubjectHasher
from kiosk.yamlfile import load_model


class DenyEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    pass_id: str | None = Field(
        None, pattern=r"^[0-9a-fA-F]{32}$", description="A KP1 pass id (hex)."
    )
    qid: str | None = Field(None, min_length=4, max_length=64, description="A national QR's QID.")
    id_number: str | None = Field(
        None, pattern=r"^\d{9,12}$", description="An ID number; hashed on load, never kept."
    )
    subject: str | None = Field(
        None, pattern=r"^(pass|qid|idh):[0-9A-Za-z_-]+$", description="A subject key as exported."
    )
    reason: str = Field(min_length=1, max_length=200, description="Why (staff only, never shown).")

    @model_validator(mode="after")
    def _exactly_one(self) -> DenyEntry:
        given = [f for f in ("pass_id", "qid", "id_number", "subject") if getattr(self, f)]
        if len(given) != 1:
            raise ValueError("give exactly one of pass_id, qid, id_number, subject")
        return self


class DenyFile(RootModel[list[DenyEntry]]):
    pass


_HEX = re.compile(r"^[0-9a-f]+$")


class DenyList:
    """Subject key → reason: the venue's own file, and the registry's deny list (swapped whole)."""

    def __init__(self, entries: dict[str, str] | None = None) -> None:
        self._entries = dict(entries or {})
        self._remote: dict[str, str] = {}

    def set_remote(self, entries: dict[str, str]) -> None:
        self._remote = dict(entries)

    @classmethod
    def load(cls, path: Path, hasher: SubjectHasher) -> DenyList:
        """Raises kiosk.yamlfile.ConfigError with FILE:LINE issues."""
        entries: dict[str, str] = {}
        for e in load_model(path, DenyFile).root:
            if e.pass_id:
                key = "pass:" + e.pass_id.lower()
            elif e.qid:
                key = "qid:" + e.qid
            elif e.id_number:
                key = hasher(e.id_number)
            else:
                key = str(e.subject)
            entries[key] = e.reason
        return cls(entries)

    def reason_for(self, subject: str) -> str | None:
        return self._entries.get(subject) or self._remote.get(subject)

    def __len__(self) -> int:
        return len(self._entries.keys() | self._remote.keys())
