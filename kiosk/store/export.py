"""The admin's reading of a kiosk's database (read-only) and its CSV export in local time."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TextIO
from zoneinfo import ZoneInfo

from checkin_protocol.records import mask_subject
from checkin_protocol.spreadsheet import SafeWriter
from checkin_protocol.times import parse_iso
from kiosk.store import COLUMNS, Record, RecordStore, StorageError
from kiosk.store.schema import MIGRATIONS

_TABLES = {"records", "counters", "lists", "meta"}

FIELDS = list(COLUMNS)
# What a venue admin needs to read; ids, sequence numbers, monotonic clocks, boot ids and the
# sync bookkeeping are internal (`--all-columns`), and the subject is masked unless asked for.
PUBLIC = [
    "kiosk_id", "direction", "verdict", "reason", "code_kind", "masked_name", "subject",
    "verified", "manual", "source",
]  # fmt: skip
LOCAL_TIME = "local_time"
# The venue deny list's own words on a refused record ("stole from the store 03/2026"): for the
# staff who read the export; the record itself keeps only the public reason code.
STAFF_NOTE = "staff_note"
BOM = "\ufeff"  # Excel reads a CSV as UTF-8 only with it (Vietnamese names would be garbled)


class ReadOnlyStore(RecordStore):
    """A kiosk's database opened for reading only (`kiosk status`, `kiosk export`): never
    created, never migrated, nothing written — and refused unless it has this kiosk's
    schema, so a wrong path never turns someone else's database into a kiosk's."""

    def _open(self) -> None:
        if self._db is not None:
            return
        try:
            db = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None,
                timeout=self._busy_timeout, check_same_thread=False,
            )  # fmt: skip
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open {self.path}: {exc}") from exc
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        except sqlite3.Error as exc:
            db.close()
            raise StorageError(f"cannot read {self.path}: {exc}") from exc
        if version != len(MIGRATIONS) or not tables >= _TABLES:
            db.close()
            why = "written by a newer kiosk" if version > len(MIGRATIONS) else (
                "not a kiosk's database" if not tables >= _TABLES or version == 0
                else "written by an older kiosk: run the kiosk once to bring it up to date"
            )  # fmt: skip
            raise StorageError(f"{self.path}: {why} (schema v{version}, this kiosk reads "
                               f"v{len(MIGRATIONS)}); nothing was changed")  # fmt: skip
        self._db = db


def local_time(utc: str, zone: ZoneInfo) -> str:
    """A record's UTC ISO time as the venue's wall clock: `2026-11-23 08:05:09`."""
    return datetime.fromtimestamp(parse_iso(utc), zone).strftime("%Y-%m-%d %H:%M:%S")


def write_csv(
    records: Iterable[Record],
    out: TextIO,
    *,
    zone: ZoneInfo | None = None,
    all_columns: bool = True,
    bom: bool = False,
    staff_note: Callable[[Record], str | None] | None = None,
) -> int:
    """Write the records; with `zone`, a local date/time column comes first; with
    `staff_note`, a last column with what the venue's deny list says of a refusal for staff."""
    # Every cell, headers and local times too, is kept from reading as a formula.
    writer = SafeWriter(out, lineterminator="\n")
    fields = FIELDS if all_columns else PUBLIC
    if bom:
        out.write(BOM)
    writer.writerow(([LOCAL_TIME] if zone else []) + fields + ([STAFF_NOTE] if staff_note else []))
    count = 0
    for r in records:
        row: list[object] = [local_time(r.created_utc, zone)] if zone else []
        for f in fields:
            value = getattr(r, f)
            if f == "subject" and not all_columns:
                value = mask_subject(value)
            row.append(value)
        if staff_note is not None:
            row.append(staff_note(r))
        writer.writerow(row)
        count += 1
    return count
