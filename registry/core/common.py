"""What every registry service shares: the database handle, the clock and the error it raises."""

from __future__ import annotations

import json
import time
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from checkin_protocol.times import parse_iso_datetime
from registry.db import sessions
from registry.db.models import AuditEntry, ListVersion


class RegistryError(Exception):
    """A request the registry refuses (unknown venue, duplicate name...)."""


def now_ms() -> int:
    return int(time.time() * 1000)


# The calendar a time is shown in: a kiosk's clock (corrected by an offset of up to ten years)
# may say year 1 or 9999, or beyond; shown, such a time is held to these bounds, which every
# time zone can still convert (a day inside datetime's years 1 to 9999).
MIN_SHOWN_MS = int(datetime(1, 1, 2, tzinfo=UTC).timestamp() * 1000)
MAX_SHOWN_MS = int(datetime(9999, 12, 30, tzinfo=UTC).timestamp() * 1000)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def moment(ms: int) -> datetime:
    """Epoch ms as a UTC datetime, held to the calendar every view can show (to the ms: no
    float on the way, which is off by one at some times far from now)."""
    return EPOCH + timedelta(milliseconds=min(max(ms, MIN_SHOWN_MS), MAX_SHOWN_MS))


def iso_ms(ms: int) -> str:
    # isoformat, not strftime: glibc writes year 1 as "1", not "0001".
    return moment(ms).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso_ms(text: str) -> int:
    """Epoch ms of an ISO time; ValueError for anything else (a time out of range included)."""
    try:
        return int(parse_iso_datetime(text, UTC).timestamp() * 1000)
    except OverflowError:
        raise ValueError("time out of range") from None


class Database:
    """One engine and its session factory, shared by the services of one registry."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.session: sessionmaker[Session] = sessions(engine)

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def insert(self) -> Callable[..., Any]:
        """The dialect's INSERT, the one with ON CONFLICT."""
        return postgresql.insert if self.is_postgresql else sqlite.insert


def bump_list(s: Session, name: str) -> None:
    """A signed list's content changed: the next document gets a new version."""
    s.execute(
        update(ListVersion).where(ListVersion.name == name).values(version=ListVersion.version + 1)
    )


def audit(s: Session, principal: str, action: str, params: dict[str, Any], results: int) -> None:
    """One line of the audit log, in the caller's transaction: it stands or falls with the act."""
    s.add(
        AuditEntry(
            at_ms=now_ms(),
            principal=principal,
            action=action,
            params=json.dumps(params, ensure_ascii=False),
            results=results,
        )
    )


# What text_problem lets through, as a schema's pattern: no control character but tab.
TEXT_PATTERN = r"^[^\x00-\x08\x0a-\x1f\x7f-\x9f]*$"


def text_problem(value: str) -> str | None:
    """Why a text from outside cannot be stored, or None.

    PostgreSQL refuses NUL in text and no database takes a lone surrogate as UTF-8: either
    would fail the whole statement, so they are refused here with a reason. Other control
    characters would reach screens and logs: refused too (tab excepted).
    """
    for ch in value:
        cat = unicodedata.category(ch)
        if cat == "Cs":
            return "not valid Unicode (a lone surrogate)"
        if cat == "Cc" and ch != "\t":
            return f"control character U+{ord(ch):04X}"
    return None


def printable(value: str, limit: int = 100) -> str:
    """Text from outside made safe to echo: cut short, unencodable and control characters '?'."""
    return "".join("?" if text_problem(ch) else ch for ch in value[:limit])
