"""Backups: SQLite's online copy of the whole database, and what the last backup or archive was."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

# Where the last backup is recorded, in the data folder (beside the keys, owner only).
STATE_FILE = "backup.json"


class BackupError(Exception):
    """A backup that could not be made, or a check that found none to trust."""


@dataclass(frozen=True)
class Backup:
    """A backup as made: where, when, how big, and what its own check said."""

    file: str
    at_ms: int
    bytes: int
    records: int
    integrity: str  # "ok", or the first problem PRAGMA integrity_check found


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup_sqlite(source: Path, target: Path, busy_timeout_s: float = 30) -> Backup:
    """Copy the database at `source` to `target` while the registry keeps writing to it.

    SQLite's online backup API in one step: one read transaction, so the copy is the database
    as of one commit, whole; in WAL mode the writers go on meanwhile (copied in several steps,
    each write by another connection would start the copy again, possibly for ever under
    steady uploads). The copy is checked (PRAGMA integrity_check), made a single file
    (journal_mode DELETE), synced, and only then renamed over `target`: a crash leaves the
    previous backup, never half of one."""
    target = target.resolve()
    partial = target.with_name(f".{target.name}.partial")
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    src = sqlite3.connect(source, timeout=busy_timeout_s)
    dst = sqlite3.connect(partial, timeout=busy_timeout_s)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
        problems = [row[0] for row in dst.execute("PRAGMA integrity_check")]
        records = int(dst.execute("SELECT count(*) FROM records").fetchone()[0])
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"backup of {source} failed: {exc}") from None
    finally:
        dst.close()
        src.close()
    if problems != ["ok"]:
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed its integrity check: {problems[0]}")
    fd = os.open(partial, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(partial, target)
    _fsync_dir(target.parent)
    return Backup(str(target), int(time.time() * 1000), target.stat().st_size, records, "ok")


def record_backup(data_dir: Path, backup: Backup) -> None:
    """Remember the backup (atomically, 0600) for `backup check`."""
    path = data_dir / STATE_FILE
    partial = path.with_name(f".{STATE_FILE}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(asdict(backup), fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(partial, path)


def last_backup(data_dir: Path) -> Backup | None:
    """The backup `record_backup` last remembered, or None (none, or unreadable)."""
    try:
        raw = json.loads((data_dir / STATE_FILE).read_text(encoding="utf-8"))
        return Backup(**raw)
    except (OSError, ValueError, TypeError):
        return None


def archive_status(engine: Engine) -> dict[str, Any]:
    """PostgreSQL's WAL archiving as it stands (pg_stat_archiver): what an operator needs to
    know how much a restore would lose — the newest WAL archived is the newest point a
    point-in-time restore can reach."""
    with engine.connect() as conn:
        mode = conn.scalar(text("SELECT current_setting('archive_mode')"))
        row = conn.execute(
            text(
                "SELECT archived_count, last_archived_wal, "
                "extract(epoch FROM last_archived_time) * 1000, failed_count, "
                "last_failed_wal, extract(epoch FROM now()) * 1000 FROM pg_stat_archiver"
            )
        ).one()
    archived, wal, archived_ms, failed, failed_wal, now = row
    return {
        "archive_mode": mode,
        "archived_count": int(archived),
        "last_archived_wal": wal,
        "last_archived_ms": int(archived_ms) if archived_ms is not None else None,
        "archive_lag_s": (
            round((float(now) - float(archived_ms)) / 1000, 1) if archived_ms is not None else None
        ),
        "failed_count": int(failed),
        "last_failed_wal": failed_wal,
    }
