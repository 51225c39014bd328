"""The roll call's marks (people accounted for in an evacuation): SQLite beside the database."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterable
from pathlib import Path

from checkin_protocol.times import utc_iso
from kiosk.peers.wire import Mark
from kiosk.store import StorageError

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS marks (
        id TEXT PRIMARY KEY,
        person TEXT NOT NULL,
        kiosk_id TEXT NOT NULL,
        marked_utc TEXT NOT NULL,
        marked_by TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS marks_time ON marks (marked_utc)",
)
KEEP = 2 * 86400.0  # marks are of one day's evacuation; older ones are dropped when opened


def marks_path(store_path: Path) -> Path:
    return store_path.with_name(store_path.stem + "-marks.db")


class MarkBook:
    """Every mark this door made or heard, idempotent by id: a mark heard from three doors is
    one mark. Written by `kiosk roll-call --mark` and by the peers thread, read by both."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(path, timeout=2.0, isolation_level=None,
                                       check_same_thread=False)  # fmt: skip
            self._db.execute("PRAGMA journal_mode=WAL")
            for statement in _SCHEMA:
                self._db.execute(statement)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open {path}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def mark(self, person: str, kiosk: str, by: str, now: float) -> Mark:
        made = Mark(id=str(uuid.uuid4()), person=person, kiosk=kiosk, time=utc_iso(now), by=by)
        self.add([made])
        return made

    def add(self, marks: Iterable[Mark]) -> int:
        """Keep the marks not yet known; returns how many were new."""
        rows = [(m.id, m.person, m.kiosk, m.time, m.by) for m in marks]
        if not rows:
            return 0
        with self._lock:
            try:
                before = self._db.total_changes
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany("INSERT OR IGNORE INTO marks VALUES (?,?,?,?,?)", rows)
                self._db.execute("COMMIT")
                return self._db.total_changes - before
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise StorageError(f"cannot write {self.path}: {exc}") from exc

    def since(self, when: float) -> list[Mark]:
        """The marks from `when` on, oldest first."""
        with self._lock:
            try:
                rows = self._db.execute(
                    "SELECT id, person, kiosk_id, marked_utc, marked_by FROM marks "
                    "WHERE marked_utc >= ? ORDER BY marked_utc, id",
                    (utc_iso(when),),
                ).fetchall()
            except sqlite3.Error as exc:
                raise StorageError(f"cannot read {self.path}: {exc}") from exc
        return [Mark(id=r[0], person=r[1], kiosk=r[2], time=r[3], by=r[4]) for r in rows]

    def purge(self, before: float) -> int:
        with self._lock:
            try:
                return self._db.execute(
                    "DELETE FROM marks WHERE marked_utc < ?", (utc_iso(before),)
                ).rowcount
            except sqlite3.Error as exc:
                raise StorageError(f"cannot purge {self.path}: {exc}") from exc
