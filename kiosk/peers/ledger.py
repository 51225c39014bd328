"""The other doors' records as this kiosk heard them: SQLite beside the kiosk's own database."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from checkin_protocol.times import iso_ms, parse_iso_ms, utc_iso
from kiosk.peers.wire import PeerRecord, origin
from kiosk.store import StorageError

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS peer_records (
        id TEXT PRIMARY KEY,
        kiosk_id TEXT NOT NULL,
        epoch TEXT NOT NULL,
        seq INTEGER NOT NULL,
        direction TEXT NOT NULL,
        verdict TEXT NOT NULL,
        created_utc TEXT NOT NULL,
        local_utc TEXT NOT NULL,
        tag TEXT,
        name TEXT,
        UNIQUE (kiosk_id, epoch, seq)
    )""",
    "CREATE INDEX IF NOT EXISTS peer_records_time ON peer_records (created_utc)",
    "CREATE INDEX IF NOT EXISTS peer_records_tag ON peer_records (tag, local_utc)",
    # When each door was last heard from (this kiosk's clock): the roll call says how current
    # it is even for a door that recorded nothing today.
    "CREATE TABLE IF NOT EXISTS peers_heard (kiosk_id TEXT PRIMARY KEY, heard_utc TEXT NOT NULL)",
)
_COLUMNS = "id, kiosk_id, epoch, seq, direction, verdict, created_utc, tag, name"
# A door's clock offset is estimated from when its messages arrive, so it carries their
# delay: tens of milliseconds on a busy network. Correcting by such noise could put an exit
# before the entry a moment earlier at another door; nobody walks between doors that fast,
# so offsets below this are taken for synchronised clocks and not corrected.
LEDGER_CACHE_KIB = 512  # SQLite's page cache for the ledger, in KiB
CLOCK_NOISE = 2.0


def _shifted(iso: str, by: float) -> str:
    if abs(by) < CLOCK_NOISE:
        return iso
    return iso_ms(parse_iso_ms(iso) + round(by * 1000))


def ledger_path(store_path: Path) -> Path:
    return store_path.with_name(store_path.stem + "-peers.db")


def _record(row: tuple[Any, ...]) -> PeerRecord:
    rid, kiosk, epoch, seq, direction, verdict, created, tag, name = row
    return PeerRecord(id=rid, kiosk=kiosk, epoch=epoch, seq=seq, direction=direction,
                      verdict=verdict, time=created, tag=tag, name=name)  # fmt: skip


class PeerLedger:
    """Idempotent by record id (and by door, epoch and sequence number): a record heard twice,
    from its door and relayed by another, is one record. A door whose database was replaced
    starts a new epoch, so its new records are never taken for its old ones. Never holds this
    kiosk's own records.

    Peers' records can be heard again from them, so a lost file costs nothing lasting: it is
    written with synchronous=NORMAL, not the FULL of the kiosk's own records.
    """

    def __init__(self, path: Path, own_kiosk: str) -> None:
        self.path = path
        self._own = own_kiosk
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(path, timeout=2.0, isolation_level=None,
                                       check_same_thread=False)  # fmt: skip
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            # Two days of the venue's records at most (KEEP), looked up by subject tag and
            # time: half the store's cache holds their indexes (see kiosk.store.CACHE_KIB).
            self._db.execute(f"PRAGMA cache_size=-{LEDGER_CACHE_KIB}")
            columns = [r[1] for r in self._db.execute("PRAGMA table_info(peer_records)")]
            if columns and not {"epoch", "local_utc"} <= set(columns):
                # A file from before epochs: peers' records are heard again, start afresh.
                self._db.execute("DROP TABLE peer_records")
            for statement in _SCHEMA:
                self._db.execute(statement)
            if {"epoch", "local_utc"} <= set(columns) and "name" not in columns:
                # A file from before the roll call: its records stay, nameless.
                self._db.execute("ALTER TABLE peer_records ADD COLUMN name TEXT")
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open {path}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise StorageError(f"cannot read {self.path}: {exc}") from exc

    def add(self, records: Iterable[PeerRecord], offsets: Mapping[str, float] | None = None) -> int:
        """Keep the records not yet known; returns how many were new. `offsets`: how far each
        door's clock is ahead of this kiosk's (s), to keep each record's time on this clock too."""
        offsets = offsets or {}
        rows = [
            (r.id, r.kiosk, r.epoch, r.seq, r.direction.value, r.verdict.value, r.time, r.tag,
             r.name, _shifted(r.time, -offsets.get(r.kiosk, 0.0)))
            for r in records
            if r.kiosk != self._own
        ]  # fmt: skip
        if not rows:
            return 0
        with self._lock:
            try:
                before = self._db.total_changes
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany(
                    f"INSERT OR IGNORE INTO peer_records ({_COLUMNS}, local_utc) "  # noqa: S608
                    "VALUES (?,?,?,?,?,?,?,?,?,?)",
                    rows,
                )
                self._db.execute("COMMIT")
                return self._db.total_changes - before
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise StorageError(f"cannot write {self.path}: {exc}") from exc

    def ranges(self, since: float) -> dict[str, list[tuple[int, int]]]:
        """Per door's database ("kiosk/epoch"), the sequence numbers held from `since` on, as
        ranges SQLite finds (see RecordStore.seq_ranges_since): not a day's rows in memory."""
        ranges: dict[str, list[tuple[int, int]]] = {}
        for kiosk, epoch, low, high in self._query(
            "SELECT kiosk_id, epoch, MIN(seq), MAX(seq) FROM (SELECT kiosk_id, epoch, seq, "
            "seq - ROW_NUMBER() OVER (PARTITION BY kiosk_id, epoch ORDER BY seq) AS run "
            "FROM peer_records WHERE created_utc >= ?) GROUP BY kiosk_id, epoch, run "
            "ORDER BY kiosk_id, epoch, 3",
            (utc_iso(since),),
        ):
            ranges.setdefault(origin(kiosk, epoch), []).append((int(low), int(high)))
        return ranges

    def rows(self, since: float) -> list[tuple[Any, ...]]:
        """The records from `since` on as plain rows (id, kiosk, epoch, seq, direction, verdict,
        time, tag): cheap to scan for what a peer lacks; `as_record` makes one a PeerRecord."""
        sql = f"SELECT {_COLUMNS} FROM peer_records WHERE created_utc >= ? ORDER BY kiosk_id, seq"  # noqa: S608
        return self._query(sql, (utc_iso(since),))

    @staticmethod
    def as_record(row: tuple[Any, ...]) -> PeerRecord:
        return _record(row)

    def records(self, since: float) -> list[PeerRecord]:
        return [_record(r) for r in self.rows(since)]

    def occupancy_delta(self, since: float) -> int:
        """PASS entries minus PASS exits recorded by the peers from `since` on (signed)."""
        row = self._query(
            "SELECT COALESCE(SUM(CASE direction WHEN 'entry' THEN 1 ELSE -1 END), 0) "
            "FROM peer_records WHERE verdict = 'PASS' AND created_utc >= ?",
            (utc_iso(since),),
        )
        return int(row[0][0])

    def last_pass(self, tag: str, since: float) -> tuple[str, str] | None:
        """(time, direction) of the subject's latest PASS at another door from `since` on,
        the time on this kiosk's clock (the door's as estimated when heard), so that it
        compares with this door's own records."""
        rows = self._query(
            "SELECT local_utc, direction FROM peer_records WHERE tag = ? AND verdict = 'PASS' "
            "AND local_utc >= ? ORDER BY local_utc DESC LIMIT 1",
            (tag, utc_iso(since)),
        )
        return (rows[0][0], rows[0][1]) if rows else None

    def note_heard(self, kiosk: str, when: float) -> None:
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO peers_heard VALUES (?, ?) ON CONFLICT (kiosk_id) "
                    "DO UPDATE SET heard_utc = excluded.heard_utc",
                    (kiosk, utc_iso(when)),
                )
            except sqlite3.Error as exc:
                raise StorageError(f"cannot write {self.path}: {exc}") from exc

    def heard(self) -> dict[str, str]:
        """Per door, when this kiosk last heard from it (UTC ISO, to the minute or so)."""
        return dict(self._query("SELECT kiosk_id, heard_utc FROM peers_heard"))

    def purge(self, before: float) -> int:
        with self._lock:
            try:
                return self._db.execute(
                    "DELETE FROM peer_records WHERE created_utc < ?", (utc_iso(before),)
                ).rowcount
            except sqlite3.Error as exc:
                raise StorageError(f"cannot purge {self.path}: {exc}") from exc
