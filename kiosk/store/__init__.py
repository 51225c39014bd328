"""The durable record of every decision: SQLite (WAL), committed before the screen shows it."""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from kiosk.store.schema import MIGRATIONS


class StorageError(Exception):
    """A record could not be written (disk full, database locked, I/O error)."""


@dataclass(frozen=True)
class Record:
    id: str
    seq: int
    venue_id: str
    kiosk_id: str
    direction: str
    code_kind: str
    subject: str | None
    masked_name: str | None
    verified: bool
    verdict: str
    reason: str | None
    manual: bool
    created_utc: str
    created_mono_ns: int
    boot_id: str
    sync_state: str


@dataclass(frozen=True)
class NewRecord:
    """What the loop knows about a decision; the store adds id, sequence and times."""

    venue_id: str
    kiosk_id: str
    direction: str
    code_kind: str
    subject: str | None
    masked_name: str | None
    verified: bool
    verdict: str
    reason: str | None
    manual: bool = False


_COLUMNS = ", ".join(Record.__dataclass_fields__)


def utc_iso(epoch: float) -> str:
    """Millisecond UTC timestamps that sort as text: `2026-11-22T01:02:03.456Z`."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _boot_id() -> str:
    # Monotonic clock readings compare only within one boot; the boot id says which one.
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown"


def _row(row: tuple[Any, ...]) -> Record:
    values = dict(zip(Record.__dataclass_fields__, row, strict=True))
    values["verified"] = bool(values["verified"])  # SQLite has no booleans
    values["manual"] = bool(values["manual"])
    return Record(**values)


class RecordStore:
    """One connection shared by the kiosk's threads behind a lock; writes are short."""

    def __init__(self, path: Path, *, busy_timeout: float = 2.0, min_free_mb: int = 20) -> None:
        self.path = path
        self._busy_timeout = busy_timeout
        self._min_free = min_free_mb * 1024 * 1024
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._boot_id = _boot_id()

    def __enter__(self) -> RecordStore:
        self.open()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def open(self) -> None:
        with self._lock:
            self._open()

    def _open(self) -> None:
        if self._db is not None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(
                self.path,
                timeout=self._busy_timeout,
                isolation_level=None,  # we issue BEGIN/COMMIT ourselves
                check_same_thread=False,  # shared by the loop and status readers, under _lock
            )
            db.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit is on disk when execute() returns, so a PASS on screen is never lost
            # to a power cut. In WAL mode this costs one fsync per commit, about 1 ms on an SD card.
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            self._migrate(db)
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(f"cannot open {self.path}: {exc}") from exc
        self._db = db

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StorageError(
                f"database schema v{version} is newer than this kiosk (v{len(MIGRATIONS)})"
            )
        for target, sql in enumerate(MIGRATIONS[version:], start=version + 1):
            db.execute("BEGIN IMMEDIATE")
            try:
                for statement in sql:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version={target}")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise StorageError("record store is not open")
        return self._db

    def _check_space(self) -> None:
        if self._min_free <= 0:
            return
        try:
            free = shutil.disk_usage(self.path.parent).free
        except OSError as exc:
            raise StorageError(f"cannot stat {self.path.parent}: {exc}") from exc
        if free < self._min_free:
            raise StorageError(f"disk nearly full: {free // (1024 * 1024)} MB free")

    @contextlib.contextmanager
    def _transaction(self, what: str) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT under the lock; any SQLite error becomes a StorageError."""
        with self._lock:
            # A database that could not be opened at start (or was closed) is retried here,
            # so the kiosk recovers by itself once the disk is back.
            self._open()
            db = self.db
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                    db.execute("COMMIT")
                except BaseException:
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise StorageError(f"cannot {what}: {exc}") from exc

    def add(self, new: NewRecord, *, now: float, mono_ns: int) -> Record:
        """Commit one decision durably and return it. Raises StorageError; writes nothing then."""
        record = Record(
            str(uuid.uuid4()), 0, new.venue_id, new.kiosk_id, new.direction, new.code_kind,
            new.subject, new.masked_name, new.verified, new.verdict, new.reason, new.manual,
            utc_iso(now), mono_ns, self._boot_id, "pending",
        )  # fmt: skip
        self._check_space()
        with self._transaction("write record") as db:
            seq = db.execute(
                "UPDATE counters SET value = value + 1 WHERE name = 'seq' RETURNING value"
            ).fetchone()[0]
            record = dataclasses.replace(record, seq=seq)
            values = dataclasses.astuple(record)  # booleans are stored as 0/1 by sqlite3
            db.execute(
                f"INSERT INTO records ({_COLUMNS}) VALUES ({', '.join('?' * len(values))})",  # noqa: S608
                values,
            )
        return record

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self.db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise StorageError(f"cannot read records: {exc}") from exc

    def occupancy_since(self, start_utc: float) -> int:
        """Admitted entries minus admitted exits recorded here since `start_utc`."""
        row = self._query(
            "SELECT COALESCE(SUM(CASE direction WHEN 'entry' THEN 1 ELSE -1 END), 0) "
            "FROM records WHERE verdict = 'PASS' AND created_utc >= ?",
            (utc_iso(start_utc),),
        )
        return max(0, int(row[0][0]))

    def get(self, record_id: str) -> Record | None:
        sql = f"SELECT {_COLUMNS} FROM records WHERE id = ?"  # noqa: S608 (constant columns)
        rows = self._query(sql, (record_id,))
        return _row(rows[0]) if rows else None

    def records(self, since: str | None = None, until: str | None = None) -> Iterator[Record]:
        """Records in sequence order, optionally within [since, until) as UTC ISO strings."""
        sql = f"SELECT {_COLUMNS} FROM records WHERE 1=1"  # noqa: S608 (constant columns)
        args: list[str] = []
        if since:
            sql += " AND created_utc >= ?"
            args.append(since)
        if until:
            sql += " AND created_utc < ?"
            args.append(until)
        for row in self._query(sql + " ORDER BY seq", tuple(args)):
            yield _row(row)

    def queued(self) -> int:
        """Records not yet acknowledged by the registry (an index count)."""
        return int(self._query("SELECT COUNT(*) FROM records WHERE sync_state = 'pending'")[0][0])

    def status(self) -> dict[str, Any]:
        pending, oldest = self._query(
            "SELECT COUNT(*), MIN(created_utc) FROM records WHERE sync_state = 'pending'"
        )[0]
        rejected = self._query("SELECT COUNT(*) FROM records WHERE sync_state = 'rejected'")[0][0]
        lists = {
            name: {"version": version, "fetched": fetched}
            for name, (version, _, _, fetched) in self.lists().items()
        }
        total = self._query("SELECT COUNT(*) FROM records")[0][0]
        last = self._query(
            "SELECT created_utc, verdict, reason, code_kind FROM records ORDER BY seq DESC LIMIT 1"
        )
        size = sum(
            p.stat().st_size
            for p in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm"))
            if p.exists()
        )
        return {
            "records": total,
            "queued": pending,
            "oldest_unsynced": oldest,
            "rejected": rejected,
            "lists": lists,
            "clock_offset_ms": self.get_meta("clock_offset_ms"),
            "last_sync_ok": self.get_meta("last_sync_ok"),
            "last_decision": (
                dict(zip(("time", "verdict", "reason", "code_kind"), last[0], strict=True))
                if last
                else None
            ),
            "storage_bytes": size,
            "path": str(self.path),
        }

    # ------------------------------------------------------------ sync bookkeeping

    def _write(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """Run one statement for each row in one transaction."""
        with self._transaction("write") as db:
            db.executemany(sql, rows)

    def pending(self, limit: int) -> list[Record]:
        """The oldest records not yet acknowledged by the registry."""
        sql = f"SELECT {_COLUMNS} FROM records WHERE sync_state = 'pending' ORDER BY seq LIMIT ?"  # noqa: S608
        return [_row(r) for r in self._query(sql, (limit,))]

    def mark_synced(self, ids: list[str], now: float) -> None:
        self._write(
            "UPDATE records SET sync_state = 'synced', synced_utc = ?, sync_error = NULL "
            "WHERE id = ?",
            [(utc_iso(now), i) for i in ids],
        )

    def mark_rejected(self, items: list[tuple[str, str]]) -> None:
        """Kept, never retried, shown in `kiosk status`: the registry refused them for good."""
        self._write(
            "UPDATE records SET sync_state = 'rejected', sync_error = ? WHERE id = ?",
            [(reason, i) for i, reason in items],
        )

    def rejected(self, limit: int = 10) -> list[tuple[str, str, str]]:
        return [
            (r[0], r[1], r[2])
            for r in self._query(
                "SELECT id, created_utc, sync_error FROM records WHERE sync_state = 'rejected' "
                "ORDER BY seq LIMIT ?",
                (limit,),
            )
        ]

    def save_list(
        self, name: str, version: int, envelope: str, etag: str | None, now: float
    ) -> None:
        self._write(
            "INSERT INTO lists (name, version, envelope, etag, fetched_utc) VALUES (?,?,?,?,?) "
            "ON CONFLICT (name) DO UPDATE SET version = excluded.version, "
            "envelope = excluded.envelope, etag = excluded.etag, "
            "fetched_utc = excluded.fetched_utc",
            [(name, version, envelope, etag, utc_iso(now))],
        )

    def touch_list(self, name: str, now: float) -> None:
        """The registry said the list we have is current (HTTP 304)."""
        self._write("UPDATE lists SET fetched_utc = ? WHERE name = ?", [(utc_iso(now), name)])

    def lists(self) -> dict[str, tuple[int, str, str | None, str]]:
        """name → (version, envelope, etag, fetched_utc)."""
        rows = self._query("SELECT name, version, envelope, etag, fetched_utc FROM lists")
        return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}

    def set_meta(self, key: str, value: str) -> None:
        self._write(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [(key, value)],
        )

    def get_meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def purge(self, before_utc: float, *, require_synced: bool) -> int:
        """Delete records older than `before_utc`; with `require_synced`, only synced ones."""
        sql = "DELETE FROM records WHERE created_utc < ?"
        if require_synced:
            sql += " AND sync_state = 'synced'"
        with self._lock:
            try:
                cur = self.db.execute(sql, (utc_iso(before_utc),))
            except sqlite3.Error as exc:
                raise StorageError(f"cannot purge records: {exc}") from exc
            return cur.rowcount

    @contextlib.contextmanager
    def raw(self) -> Iterator[sqlite3.Connection]:
        """The connection under the lock, for tests and maintenance."""
        with self._lock:
            yield self.db
