"""`kiosk-registry backup FILE` (SQLite's online copy) and `kiosk-registry backup check`."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checkin_protocol.times import iso_ms, parse_duration

if TYPE_CHECKING:
    from registry.service import Registry

CHECK = "check"


def _age(value: str) -> int:
    try:
        return int(parse_duration(value))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_backup(registry: Registry, args: argparse.Namespace) -> None:
    if args.target == CHECK:
        _check(registry, args.max_age)
        return
    from registry.db.backup import BackupError, backup_sqlite, record_backup
    from registry.service import RegistryError

    engine = registry.engine
    if engine.dialect.name != "sqlite" or not engine.url.database:
        raise RegistryError(
            "backup FILE copies the embedded SQLite database; PostgreSQL is backed up by WAL "
            "archiving and base backups (docs/registry.md, Operations), checked by "
            "`kiosk-registry backup check`"
        )
    try:
        made = backup_sqlite(Path(engine.url.database), Path(args.target))
    except BackupError as exc:
        raise RegistryError(str(exc)) from None
    record_backup(registry.settings.data_dir, made)
    print(
        json.dumps(
            {
                "file": made.file,
                "at": iso_ms(made.at_ms),
                "bytes": made.bytes,
                "records": made.records,
                "integrity": made.integrity,
                # The copy holds the records; tracing by ID number and the lists need the keys.
                "keys": f"not in the copy: keep {registry.settings.keys_dir} backed up apart",
            },
            indent=2,
        )
    )


def _check(registry: Registry, max_age_s: int) -> None:
    """The last backup and its age; on PostgreSQL, the WAL archive's too. Exit 1 (an alarm)
    when there is none, its file is gone or changed size, or it is older than --max-age."""
    from registry.db.backup import archive_status, last_backup
    from registry.service import RegistryError

    now = int(time.time() * 1000)
    report: dict[str, Any] = {"max_age_s": max_age_s}
    alarms: list[str] = []
    if registry.engine.dialect.name == "postgresql":
        status = archive_status(registry.engine)
        report["archive"] = status
        if status["last_archived_ms"] is not None:
            report["archive"]["newest_restorable"] = iso_ms(status["last_archived_ms"])
        if status["archive_mode"] == "off":
            alarms.append("WAL archiving is off: no point-in-time restore is possible")
        elif status["archive_lag_s"] is None or status["archive_lag_s"] > max_age_s:
            alarms.append("no WAL segment archived within --max-age")
    else:
        last = last_backup(registry.settings.data_dir)
        if last is None:
            alarms.append(f"no backup recorded in {registry.settings.data_dir}")
        else:
            age_s = (now - last.at_ms) // 1000
            report["last_backup"] = {
                "file": last.file,
                "at": iso_ms(last.at_ms),
                "age_s": age_s,
                "bytes": last.bytes,
                "records": last.records,
            }
            path = Path(last.file)
            if not path.exists():
                alarms.append(f"the last backup {last.file} is gone")
            elif path.stat().st_size != last.bytes:
                alarms.append(f"the last backup {last.file} changed size since it was made")
            if age_s > max_age_s:
                alarms.append(f"the last backup is {age_s} s old, more than --max-age")
    report["alarms"] = alarms
    print(json.dumps(report, indent=2))
    if alarms:
        raise RegistryError("; ".join(alarms))


def add_backup_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    c = sub.add_parser(
        "backup",
        help="copy the SQLite database to FILE while serving (online backup); "
        "`backup check`: the last backup (or PostgreSQL's WAL archive) and its age",
    )
    c.set_defaults(handler=cmd_backup)
    c.add_argument("target", metavar="FILE|check", help="where to write the copy, or `check`")
    c.add_argument(
        "--max-age",
        type=_age,
        default=86400,
        help="check: alarm (exit 1) when the last backup is older than this (default 1d)",
    )
