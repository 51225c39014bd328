"""The durable record of every decision: SQLite (WAL), committed before the screen shows it."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeVar

from checkin_protocol.erasure import erasure_digest, record_key
from checkin_protocol.records import (
    RECORD_FIELDS,
    CheckinRecord,
    CodeKind,
    Direction,
    ReadSource,
    Subject,
    Verdict,
    new_record_id,
)
from checkin_protocol.times import utc_iso
from kiosk.runtime.logs import RepeatingLog
from kiosk.store.schema import MIGRATIONS

__all__ = ["NewRecord", "Record", "RecordStore", "StorageError", "utc_iso"]

log = logging.getLogger(__name__)
T = TypeVar("T")

# SQLite's own page cache, in KiB (a negative cache_size), per connection. Its default (2 MB)
# fills slowly over days and then stays, so a door's memory looked like a leak until it did.
# A door touches few pages: the right-hand edge of each index (new records), today's records
# (the counts on the status strip) and the sync queue. The kernel's page cache keeps the file's
# other pages anyway, so a read of older records costs a copy, not a read from the SD card.
# 1 MiB holds 256 pages of 4 KiB: every interior page of the records' table and indexes
# (three weeks' retention at 2,000 decisions a day is about 42,000 records, some 15 MB) and
# the leaves of the latest few thousand records.
CACHE_KIB = 1024

# Errors that say the connection itself is unusable, not the statement: a file opened
# read-only stays read-only on that handle after its mode is fixed, and an I/O error or a
# replaced file leaves the handle pointing at what is gone. Only a new connection recovers.
# (Busy and full are not here: they clear by themselves on the same connection.)
_REOPEN = {
    sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_CORRUPT,
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_NOTADB,
    sqlite3.SQLITE_PERM,
    sqlite3.SQLITE_PROTOCOL,
}


class _Uncertain(Exception):
    """COMMIT itself failed: the transaction may be on disk, so it is not run again."""


def _needs_reopen(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _REOPEN  # the primary code, without extension


class StorageError(Exception):
    """A record could not be written (disk full, database locked, I/O error)."""


class Record(CheckinRecord):
    """A record as this kiosk keeps it: the wire record and where it stands with the registry."""

    sync_state: Literal["pending", "synced", "rejected"] = "pending"

    def wire(self) -> CheckinRecord:
        """The record as uploaded: every protocol field, nothing local."""
        return CheckinRecord.model_validate(self.model_dump(include=set(RECORD_FIELDS)))


@dataclass(frozen=True)
class NewRecord:
    """What the loop knows about a decision; the store adds id, sequence and times."""

    venue_id: str
    kiosk_id: str
    direction: Direction
    code_kind: CodeKind
    subject: Subject | None
    masked_name: str | None
    verified: bool
    verdict: Verdict
    reason: str | None
    manual: bool = False
    source: ReadSource = ReadSource.CAMERA


# The SQLite columns of `records` that hold a Record; the schema's other columns are local.
COLUMNS: tuple[str, ...] = (*RECORD_FIELDS, "sync_state")
_COLUMNS = ", ".join(COLUMNS)


def _boot_id() -> str:
    # Monotonic clock readings compare only within one boot; the boot id says which one.
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown"


def _row(row: tuple[Any, ...]) -> Record:
    # SQLite's 0/1 become booleans and the subject's text a Subject on validation.
    return Record.model_validate(dict(zip(COLUMNS, row, strict=True)))


class RecordStore:
    """One connection shared by the kiosk's threads behind a lock; writes are short."""

    def __init__(self, path: Path, *, busy_timeout: float = 2.0, min_free_mb: int = 20) -> None:
        self.path = path
        self._busy_timeout = busy_timeout
        self._min_free = min_free_mb * 1024 * 1024
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._boot_id = _boot_id()
        self._reopens = RepeatingLog(log)

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
        self._refuse_read_only()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Created 0600 before SQLite opens it (which would follow the umask, 0644 in the
            # demo); its -wal and -shm files take the database's mode.
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
            # One made before, readable by others, is closed to them (its owner keeps it).
            for own in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")):
                with contextlib.suppress(OSError):
                    mode = own.stat().st_mode & 0o777
                    if mode & 0o077:
                        os.chmod(own, mode & 0o700)
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
            db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            # A purged or erased record is overwritten, not left readable in the file.
            db.execute("PRAGMA secure_delete=ON")
            self._migrate(db)
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(f"cannot open {self.path}: {exc}") from exc
        self._db = db

    def _refuse_read_only(self) -> None:
        # SQLite opens a read-only file read-only without a word, and then creates the -wal
        # and -shm files with the same read-only mode: fixing the database's mode would no
        # longer be enough. So a read-only file is not opened at all; each write tries again,
        # and the first one after the fix opens it for writing.
        for p in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")):
            if p.exists() and not os.access(p, os.W_OK):
                raise StorageError(f"cannot open {self.path}: {p} is read-only")

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

    def _drop(self) -> None:
        """Forget an unusable connection; the next call opens a new one."""
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None

    def _run(self, what: str, op: Callable[[sqlite3.Connection], T]) -> T:
        """`op` on the connection, under the lock; any SQLite error becomes a StorageError.

        A database that could not be opened (or was dropped) is opened again here, so the
        kiosk recovers by itself once the disk is back. After an error that leaves the handle
        unusable (read-only, I/O, replaced file) the connection is dropped and `op` runs once
        more on a new one: a file fixed by an admin is used at once, without a restart.
        """
        with self._lock:
            for attempt in (1, 2):
                self._open()
                try:
                    return op(self.db)
                except _Uncertain as exc:
                    self._drop()  # the commit may or may not be on disk: never run it twice
                    raise StorageError(f"cannot {what}: {exc.__cause__}") from exc.__cause__
                except sqlite3.Error as exc:
                    if not _needs_reopen(exc):
                        raise StorageError(f"cannot {what}: {exc}") from exc
                    self._reopens.warning("database %s unusable (%s); reopening", self.path, exc)
                    self._drop()
                    if attempt == 2:
                        raise StorageError(f"cannot {what}: {exc}") from exc
            raise AssertionError("unreachable")

    def _transaction(self, what: str, work: Callable[[sqlite3.Connection], T]) -> T:
        """BEGIN IMMEDIATE … COMMIT around `work`; all of it or nothing is written."""

        def run(db: sqlite3.Connection) -> T:
            db.execute("BEGIN IMMEDIATE")
            try:
                result = work(db)
            except BaseException:
                if db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):  # never mask the first error
                        db.execute("ROLLBACK")
                raise
            try:
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                if db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        db.execute("ROLLBACK")
                raise _Uncertain from exc
            return result

        return self._run(what, run)

    def add(self, new: NewRecord, *, now: float, mono_ns: int) -> Record:
        """Commit one decision durably and return it. Raises StorageError; writes nothing then."""
        # Not dataclasses.asdict: it would turn the Subject into a dict.
        fields = {f.name: getattr(new, f.name) for f in dataclasses.fields(new)}
        self._check_space()

        def write(db: sqlite3.Connection) -> Record:
            seq = db.execute(
                "UPDATE counters SET value = value + 1 WHERE name = 'seq' RETURNING value"
            ).fetchone()[0]
            record = Record(
                id=new_record_id(int(now * 1000)), seq=seq, created_utc=utc_iso(now),
                created_mono_ns=mono_ns, boot_id=self._boot_id, **fields,
            )  # fmt: skip
            # Enums and the subject as their text; booleans are stored as 0/1 by sqlite3.
            row = record.model_dump(mode="json")
            values = tuple(row[c] for c in COLUMNS)
            db.execute(
                f"INSERT INTO records ({_COLUMNS}) VALUES ({', '.join('?' * len(values))})",  # noqa: S608
                values,
            )
            return record

        return self._transaction("write record", write)

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self._run("read records", lambda db: db.execute(sql, args).fetchall())

    def occupancy_since(self, start_utc: float) -> int:
        """Admitted entries minus admitted exits recorded here since `start_utc`."""
        row = self._query(
            "SELECT COALESCE(SUM(CASE direction WHEN 'entry' THEN 1 ELSE -1 END), 0) "
            "FROM records WHERE verdict = 'PASS' AND created_utc >= ?",
            (utc_iso(start_utc),),
        )
        return max(0, int(row[0][0]))

    def occupancy_unsettled(self, start_utc: float, as_of_utc: float) -> int:
        """Entries minus exits (signed) recorded here since `start_utc` that a registry count
        taken at `as_of_utc` cannot include: recorded after it, or not yet uploaded."""
        row = self._query(
            "SELECT COALESCE(SUM(CASE direction WHEN 'entry' THEN 1 ELSE -1 END), 0) "
            "FROM records WHERE verdict = 'PASS' AND created_utc >= ? "
            "AND (created_utc >= ? OR sync_state = 'pending')",
            (utc_iso(start_utc), utc_iso(as_of_utc)),
        )
        return int(row[0][0])

    def last_pass(self, subject: str, since_utc: float) -> tuple[str, str] | None:
        """(time, direction) of the subject's latest PASS here from `since_utc` on."""
        rows = self._query(
            "SELECT created_utc, direction FROM records WHERE created_utc >= ? AND subject = ? "
            "AND verdict = 'PASS' ORDER BY created_utc DESC LIMIT 1",
            (utc_iso(since_utc), subject),
        )
        return (rows[0][0], rows[0][1]) if rows else None

    def day_counts(self, start_utc: float, end_utc: float) -> tuple[int, int, int]:
        """(PASS entries, PASS exits, FAILs) recorded here within [start_utc, end_utc)."""
        row = self._query(
            "SELECT COALESCE(SUM(verdict = 'PASS' AND direction = 'entry'), 0), "
            "COALESCE(SUM(verdict = 'PASS' AND direction = 'exit'), 0), "
            "COALESCE(SUM(verdict = 'FAIL'), 0) FROM records WHERE created_utc >= ? "
            "AND created_utc < ?",
            (utc_iso(start_utc), utc_iso(end_utc)),
        )[0]
        return int(row[0]), int(row[1]), int(row[2])

    def brief_since(
        self, since_utc: float
    ) -> list[tuple[str, int, str, str, str, str | None, str | None]]:
        """(id, seq, direction, verdict, created_utc, subject, masked_name) of the records from
        `since_utc` on, in sequence order: what the LAN peers are told, read without building
        Records."""
        rows = self._query(
            "SELECT id, seq, direction, verdict, created_utc, subject, masked_name FROM records "
            "WHERE created_utc >= ? ORDER BY seq",
            (utc_iso(since_utc),),
        )
        return [(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]

    def seq_ranges_since(self, since_utc: float) -> list[tuple[int, int]]:
        """The sequence numbers of the records from `since_utc` on as sorted inclusive ranges
        (what a summary tells the LAN peers). SQLite finds the runs of consecutive numbers
        (each run's numbers minus their rank are one value), so a summary every interval does
        not read the day's records into memory: that grew with the day's decisions."""
        rows = self._query(
            "SELECT MIN(seq), MAX(seq) FROM (SELECT seq, seq - ROW_NUMBER() OVER (ORDER BY seq) "
            "AS run FROM records WHERE created_utc >= ?) GROUP BY run ORDER BY 1",
            (utc_iso(since_utc),),
        )
        return [(int(low), int(high)) for low, high in rows]

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
        self._transaction("write", lambda db: db.executemany(sql, rows))

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

    def resend_since(self, since_utc: str) -> int:
        """Queue again the records the registry acknowledged at or after `since_utc` (this
        kiosk's clock, `utc_iso` form): after the registry was restored to an earlier moment,
        what it acknowledged later is gone there. The registry answers "duplicate" for what it
        still has. Returns how many were queued."""
        return self._transaction(
            "write",
            lambda db: (
                db.execute(
                    "UPDATE records SET sync_state = 'pending', synced_utc = NULL "
                    "WHERE sync_state = 'synced' AND synced_utc >= ?",
                    (since_utc,),
                ).rowcount
            ),
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
        args = (utc_iso(before_utc),)
        return self._transaction("purge records", lambda db: db.execute(sql, args).rowcount)

    def erase(self, digests: frozenset[str]) -> int:
        """Delete the records a person's erasure names (checkin_protocol.erasure: by record id
        or by subject, synced or not), then checkpoint the WAL so no copy stays in the files.
        The set last applied is remembered: the same list again scans nothing."""
        applied = erasure_digest(" ".join(sorted(digests)))
        if not digests or self.get_meta("erased") == applied:
            return 0

        def work(db: sqlite3.Connection) -> int:
            doomed = [
                (rid,)
                for rid, subject in db.execute("SELECT id, subject FROM records")
                if erasure_digest(record_key(rid)) in digests
                or (subject and erasure_digest(subject) in digests)
            ]
            db.executemany("DELETE FROM records WHERE id = ?", doomed)
            db.execute(
                "INSERT INTO meta (key, value) VALUES ('erased', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (applied,),
            )
            return len(doomed)

        erased = self._transaction("erase records", work)
        if erased:
            self._run("checkpoint", lambda db: db.execute("PRAGMA wal_checkpoint(TRUNCATE)"))
        return erased + self._erase_heard(digests)

    def _erase_heard(self, digests: frozenset[str]) -> int:
        """The same records as this kiosk's LAN peers sent them (their ledger beside this
        database, kiosk.peers.ledger.ledger_path: the store sits below the peers, so the name
        is spelt here), by record id: a peer's copy carries a masked name and a keyed tag."""
        ledger = self.path.with_name(self.path.stem + "-peers.db")
        if not ledger.exists():
            return 0
        try:
            with contextlib.closing(
                sqlite3.connect(ledger, timeout=self._busy_timeout, isolation_level=None)
            ) as db:
                db.execute("PRAGMA secure_delete=ON")
                doomed = [
                    (rid,)
                    for (rid,) in db.execute("SELECT id FROM peer_records")
                    if erasure_digest(record_key(rid)) in digests
                ]
                if doomed:
                    db.executemany("DELETE FROM peer_records WHERE id = ?", doomed)
                    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            raise StorageError(f"cannot erase from {ledger}: {exc}") from exc
        return len(doomed)
