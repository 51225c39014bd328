"""kiosk.decision.retention: records older than the retention go, on a thread of their own."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from checkin_protocol.records import CodeKind, Direction, Subject
from checkin_protocol.times import parse_iso
from kiosk.decision.retention import RetentionPurge
from kiosk.policy.engine import Verdict
from kiosk.store import NewRecord, RecordStore
from support.timing import wait_for

DAY = 86400.0
NOW = 1_800_000_000.0


def visit() -> NewRecord:
    return NewRecord(
        venue_id="v", kiosk_id="k", direction=Direction.ENTRY, code_kind=CodeKind.SIGNED_PASS,
        subject=Subject.parse("pass:" + "ab" * 16), masked_name="Nguyễn V** A", verified=True,
        verdict=Verdict.PASS, reason=None,
    )  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RecordStore]:
    with RecordStore(tmp_path / "kiosk.db", busy_timeout=0.2, min_free_mb=0) as s:
        for age in (30, 22, 20, 1):  # days before NOW
            s.add(visit(), now=NOW - age * DAY, mono_ns=int(age))
        yield s


def ages(store: RecordStore) -> list[int]:
    return sorted(round((NOW - parse_iso(r.created_utc)) / DAY) for r in store.records())


def test_a_purge_deletes_exactly_what_is_older_than_the_retention(store: RecordStore) -> None:
    purge = RetentionPurge(store, retention=21 * DAY, require_synced=False, clock=lambda: NOW)
    assert purge.purge_once() == 2
    assert ages(store) == [1, 20]
    assert purge.purge_once() == 0  # nothing more is old enough
    assert purge.purged == 2


def test_with_a_registry_only_what_the_registry_has_is_purged(store: RecordStore) -> None:
    oldest = min(store.records(), key=lambda r: r.created_utc)
    with sqlite3.connect(store.path) as db:  # another connection, as the sync thread is
        db.execute("UPDATE records SET sync_state='synced' WHERE id=?", (oldest.id,))
    db.close()
    purge = RetentionPurge(store, retention=21 * DAY, require_synced=True, clock=lambda: NOW)
    assert purge.purge_once() == 1
    assert ages(store) == [1, 20, 22]  # the unsynced 22-day-old record waits for the registry


def test_nothing_is_purged_while_the_clock_is_not_set(store: RecordStore) -> None:
    # A clock years ahead (no RTC, a bad NTP answer) would make every record look old.
    purge = RetentionPurge(
        store, retention=DAY, require_synced=False, clock=lambda: NOW + 3650 * DAY,
        clock_set=lambda: False,
    )  # fmt: skip
    assert purge.purge_once() == 0
    assert ages(store) == [1, 20, 22, 30]


def test_the_service_purges_when_it_starts_and_stops_promptly(store: RecordStore) -> None:
    purge = RetentionPurge(store, retention=21 * DAY, require_synced=False, clock=lambda: NOW)
    with purge:
        assert wait_for(lambda: purge.purged == 2)
    assert not purge.is_alive()
    assert ages(store) == [1, 20]


def test_a_failed_purge_is_logged_and_tried_again(
    store: RecordStore, caplog: pytest.LogCaptureFixture
) -> None:
    purge = RetentionPurge(store, retention=21 * DAY, require_synced=False, clock=lambda: NOW)
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another process holds the database
    try:
        assert purge.purge_once() == 0
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert "retention purge failed" in caplog.text
    assert ages(store) == [1, 20, 22, 30]
    assert purge.purge_once() == 2  # the next turn, once the database is free
