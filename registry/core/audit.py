"""Reads of personal data, audited: who read or exported what, when, and how many rows."""

from __future__ import annotations

from typing import Any

from registry.core.common import Database, audit


def record_read(db: Database, who: str, action: str, params: dict[str, Any], rows: int) -> None:
    """One audit entry for a read (a venue's history, its CSV, the deny list), in its own
    transaction: the read has happened, so its entry is written whatever comes after."""
    with db.session.begin() as s:
        audit(s, who, action, params, rows)
