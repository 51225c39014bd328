"""A venue's kiosk database with records on known local days, for the admin commands' tests."""

from __future__ import annotations

import csv
import io
import time
from zoneinfo import ZoneInfo

from checkin_protocol.records import CodeKind, Direction, Subject, SubjectKind, Verdict
from kiosk.store import NewRecord, RecordStore
from support.doors import NOON

# "today" and "yesterday" stay the same days for the whole run, whenever it runs.
ZONE_NAME = NOON
ZONE = ZoneInfo(ZONE_NAME)


def add(store: RecordStore, at: float, verdict: str = "PASS", direction: str = "entry") -> None:
    new = NewRecord(
        "test-venue", "k1", Direction(direction), CodeKind.SIGNED_PASS,
        Subject(SubjectKind.PASS, "00112233445566778899aabbccddeeff"), "Nguyễn V** A", True,
        Verdict(verdict), None if verdict == "PASS" else "expired",
    )  # fmt: skip
    store.add(new, now=at, mono_ns=time.monotonic_ns())


def rows(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out.removeprefix("\ufeff"))))
