"""The kiosk's SQLite schema holds exactly the protocol's record plus its own bookkeeping."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from checkin_protocol.records import RECORD_FIELDS
from kiosk.store import COLUMNS, NewRecord, RecordStore

LOCAL = {"sync_state", "sync_error", "synced_utc"}


def test_records_table_is_the_protocol_record_and_local_state(tmp_path: Path) -> None:
    with RecordStore(tmp_path / "k.db", min_free_mb=0):
        pass
    con = sqlite3.connect(tmp_path / "k.db")
    columns = {row[1] for row in con.execute("PRAGMA table_info(records)")}
    con.close()
    assert columns == set(RECORD_FIELDS) | LOCAL
    assert set(COLUMNS) == set(RECORD_FIELDS) | {"sync_state"}


def test_a_new_record_names_only_protocol_fields() -> None:
    assert set(NewRecord.__dataclass_fields__) <= set(RECORD_FIELDS)
