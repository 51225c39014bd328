"""The record store on real SQLite: durability, sequence, failures that must not lose data."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.store import NewRecord, RecordStore, StorageError, utc_iso
from kiosk.store.export import write_csv
from kiosk.store.schema import MIGRATIONS

REPO = Path(__file__).resolve().parents[3]


def new(verdict: str = "PASS", direction: str = "entry", **kw: object) -> NewRecord:
    fields: dict[str, object] = {
        "venue_id": "v",
        "kiosk_id": "k",
        "direction": direction,
        "code_kind": "signed_pass",
        "subject": "pass:" + "ab" * 16,
        "masked_name": "Nguyễn V** A",
        "verified": True,
        "verdict": verdict,
        "reason": None if verdict == "PASS" else "expired",
    }
    fields.update(kw)
    return NewRecord(**fields)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RecordStore]:
    with RecordStore(tmp_path / "kiosk.db", busy_timeout=0.2, min_free_mb=0) as s:
        yield s


def test_records_round_trip_with_sequence_and_times(store: RecordStore) -> None:
    t = 1_800_000_000.25
    a = store.add(new(), now=t, mono_ns=123)
    b = store.add(new("FAIL"), now=t + 1, mono_ns=456)
    assert (a.seq, b.seq) == (1, 2)
    assert a.created_utc == "2027-01-15T08:00:00.250Z"
    assert store.get(a.id) == a
    got = store.get(b.id)
    assert got is not None and got.verdict == "FAIL" and got.reason == "expired"
    assert got.created_mono_ns == 456 and got.boot_id == a.boot_id != ""
    assert got.sync_state == "pending"
    assert [r.id for r in store.records()] == [a.id, b.id]


def test_wal_and_full_sync_are_on(store: RecordStore) -> None:
    # The journal mode is the file's; `synchronous` is per connection, so the store's own.
    db = sqlite3.connect(store.path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_schema_is_versioned(tmp_path: Path) -> None:
    path = tmp_path / "k.db"
    with RecordStore(path, min_free_mb=0):
        pass
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    db.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    db.commit()
    db.close()
    with pytest.raises(StorageError, match="newer than this kiosk"):
        RecordStore(path, min_free_mb=0).open()


def test_sequence_survives_purge(store: RecordStore) -> None:
    for i in range(3):
        store.add(new(), now=1000.0 + i, mono_ns=i)
    assert store.purge(2000.0, require_synced=False) == 3
    assert store.add(new(), now=3000.0, mono_ns=9).seq == 4  # never reused


def test_purge_keeps_unsynced_when_sync_is_required(store: RecordStore) -> None:
    old = store.add(new(), now=1000.0, mono_ns=1)
    synced = store.add(new(), now=1001.0, mono_ns=2)
    recent = store.add(new(), now=5000.0, mono_ns=3)
    with sqlite3.connect(store.path) as db:  # another connection, as the sync thread is
        db.execute("UPDATE records SET sync_state='synced' WHERE id=?", (synced.id,))
    db.close()
    assert store.purge(4000.0, require_synced=True) == 1
    assert {r.id for r in store.records()} == {old.id, recent.id}


def test_disk_full_raises_and_loses_nothing(store: RecordStore) -> None:
    kept = [store.add(new(), now=1000.0 + i, mono_ns=i) for i in range(20)]
    # SQLite's own limit: the next page it needs is refused exactly as on a full disk. It is
    # a setting of one connection, so it is set on the store's own.
    db = store.db
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count={pages}")
    with pytest.raises(StorageError, match="full"):
        for i in range(500):
            store.add(new(masked_name="X" * 100), now=2000.0 + i, mono_ns=i)
    before = list(store.records())
    assert [r.id for r in before[:20]] == [r.id for r in kept]
    db.execute("PRAGMA max_page_count=1073741823")
    after = store.add(new(), now=3000.0, mono_ns=1)
    assert after.seq == before[-1].seq + 1  # the failed write took no sequence number


def test_low_disk_space_is_refused_before_writing(tmp_path: Path) -> None:
    with (
        RecordStore(tmp_path / "k.db", min_free_mb=10**9) as s,
        pytest.raises(StorageError, match="disk nearly full"),
    ):
        s.add(new(), now=1.0, mono_ns=1)


def test_locked_database_times_out_with_an_error(store: RecordStore) -> None:
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        t0 = time.monotonic()
        with pytest.raises(StorageError, match="locked"):
            store.add(new(), now=1.0, mono_ns=1)
        assert time.monotonic() - t0 < 5
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert store.add(new(), now=2.0, mono_ns=2).seq == 1


def test_unopenable_path_is_retried_on_each_write(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("")  # a file where the database folder should be
    store = RecordStore(blocker / "k.db", min_free_mb=0)
    with pytest.raises(StorageError, match="cannot open"):
        store.open()
    with pytest.raises(StorageError, match="cannot open"):
        store.add(new(), now=1.0, mono_ns=1)
    blocker.unlink()  # the admin fixes it; the next write opens the database
    assert store.add(new(), now=2.0, mono_ns=2).seq == 1
    store.close()


def test_occupancy_counts_admitted_entries_minus_exits(store: RecordStore) -> None:
    store.add(new(), now=100.0, mono_ns=1)  # yesterday
    for _ in range(3):
        store.add(new(), now=1000.0, mono_ns=1)
    store.add(new("FAIL"), now=1000.0, mono_ns=1)
    store.add(new(direction="exit"), now=1001.0, mono_ns=1)
    assert store.occupancy_since(500.0) == 2


def test_status(store: RecordStore) -> None:
    assert store.status()["last_decision"] is None
    store.add(new(), now=1000.0, mono_ns=1)
    store.add(new("FAIL"), now=1001.0, mono_ns=1)
    st = store.status()
    assert st["records"] == st["queued"] == 2
    assert st["oldest_unsynced"] == utc_iso(1000.0)
    assert st["last_decision"]["verdict"] == "FAIL"
    assert st["storage_bytes"] > 0


def test_export_is_safe_against_formula_injection(store: RecordStore) -> None:
    store.add(new(masked_name='=HYPERLINK("http://x")'), now=1000.0, mono_ns=1)
    store.add(new(masked_name="@SUM(A1)"), now=2000.0, mono_ns=1)
    store.add(new(masked_name="-2"), now=3000.0, mono_ns=1)
    out = io.StringIO()
    assert write_csv(store.records(utc_iso(1500.0)), out) == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["masked_name"] for r in rows] == ["'@SUM(A1)", "'-2"]
    assert rows[0]["verified"] == "1"


WRITER = """
import sys, time
from pathlib import Path
sys.path.insert(0, {repo!r})
from kiosk.store import NewRecord, RecordStore
s = RecordStore(Path({db!r}), min_free_mb=0)
s.open()
while True:
    r = s.add(NewRecord("v", "k", "entry", "cccd", "idh:1", "A", False, "PASS", None),
              now=time.time(), mono_ns=time.monotonic_ns())
    print(r.id, flush=True)
"""


def test_a_killed_process_loses_no_committed_record(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER.format(repo=str(REPO), db=str(db))],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    committed = [proc.stdout.readline().strip() for _ in range(200)]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # Whatever it printed after the last line we read was committed too; read it all.
    committed += [line.strip() for line in proc.stdout if line.strip()]
    with RecordStore(db, min_free_mb=0) as s:
        stored = {r.id for r in s.records()}
        seqs = [r.seq for r in s.records()]
    assert set(committed) <= stored
    assert seqs == list(range(1, len(seqs) + 1))


READ_ONLY_AT_START = """
import json, sys
from pathlib import Path
from kiosk.store import NewRecord, RecordStore, StorageError

def new():
    return NewRecord("v", "k", "entry", "signed_pass", None, None, True, "PASS", None)

path = Path(sys.argv[1])
with RecordStore(path, min_free_mb=0) as s:
    s.add(new(), now=1.0, mono_ns=1)
path.chmod(0o444)  # an admin's slip, or a restore from a read-only copy
store = RecordStore(path, min_free_mb=0)
errors = []
try:
    store.open()  # as the kiosk starts: the error is shown, and each write tries again
except StorageError as exc:
    errors.append(str(exc))
for i in range(3):
    try:
        store.add(new(), now=2.0 + i, mono_ns=2 + i)
    except StorageError as exc:
        errors.append(str(exc))
path.chmod(0o644)  # fixed; the kiosk is not restarted
record = store.add(new(), now=9.0, mono_ns=9)
print(json.dumps({"errors": errors, "seq": record.seq, "total": len(list(store.records()))}))
"""


def _without_root_overrides() -> None:
    # Root writes a file whatever its mode. Dropping CAP_DAC_OVERRIDE (and the read-search
    # one) from the child's bounding set makes its mode count, as for the kiosk's own user.
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_a_database_read_only_at_start_records_again_once_writable(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", READ_ONLY_AT_START, str(tmp_path / "kiosk.db")],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        preexec_fn=_without_root_overrides if os.geteuid() == 0 else None,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert len(result["errors"]) == 4 and all("read-only" in e for e in result["errors"])
    # Nothing of the read-only time was written; the first write after the fix is.
    assert result["seq"] == 2 and result["total"] == 2


def test_record_ids_are_uuidv7_in_the_order_records_were_made(store: RecordStore) -> None:
    import uuid

    made = [store.add(new(), now=1_700_000_000.0 + i, mono_ns=i) for i in range(3)]
    ids = [uuid.UUID(r.id) for r in made]
    assert [i.version for i in ids] == [7, 7, 7]
    assert [r.id for r in made] == sorted(r.id for r in made)
    assert ids[0].int >> 80 == 1_700_000_000_000  # the record's time, in milliseconds


def test_sqlites_page_cache_stays_within_the_size_set_for_it(tmp_path: Path) -> None:
    # The library Python's sqlite3 module is linked to (the same one, already loaded): its
    # count of the memory it holds, which the page cache dominates.
    import ctypes
    import ctypes.util
    import uuid

    from kiosk.store import CACHE_KIB

    name = ctypes.util.find_library("sqlite3")
    if name is None:
        pytest.skip("Python's sqlite3 is not linked to a shared libsqlite3 here")
    lib = ctypes.CDLL(name)
    lib.sqlite3_memory_used.restype = ctypes.c_int64
    db = tmp_path / "kiosk.db"
    with RecordStore(db, min_free_mb=0):
        pass  # the schema
    # Some 30,000 records (an 8 MB file, four times SQLite's default cache), in one go.
    with sqlite3.connect(db, isolation_level=None) as con:
        con.execute("BEGIN")
        con.executemany(
            "INSERT INTO records (id, seq, venue_id, kiosk_id, direction, code_kind, subject, "
            "masked_name, verified, verdict, reason, manual, created_utc, created_mono_ns, "
            "boot_id, sync_state) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(str(uuid.uuid4()), i + 1, "v", "k", "entry", "signed_pass", f"pass:{i:032x}",
              "Nguyễn V** A", 1, "PASS", None, 0, utc_iso(1.7e9 + i), i, "b", "pending")
             for i in range(30_000)],
        )  # fmt: skip
        con.execute("COMMIT")
    con.close()
    assert db.stat().st_size > 4 * 2048 * 1024
    before = lib.sqlite3_memory_used()
    with RecordStore(db, min_free_mb=0) as store:
        # Every page read through the store's connection: each record, the queue, the status.
        assert sum(1 for _ in store.records()) == 30_000
        assert store.queued() == 30_000 and store.status()["records"] == 30_000
        held = lib.sqlite3_memory_used() - before
    # The cache and the connection's own; SQLite's default cache (2,000 KiB) holds 2.1 MB here.
    assert CACHE_KIB == 1024 and held < 1536 * 1024, held


@settings(max_examples=40, deadline=None)
@given(
    times=st.lists(st.integers(0, 50), min_size=0, max_size=40),
    since=st.integers(0, 50),
)
def test_the_sequence_ranges_since_a_time_are_those_of_the_records_since_then(
    tmp_path_factory: pytest.TempPathFactory, times: list[int], since: int
) -> None:
    # Records made out of time order (a clock set back) leave gaps in what a time selects.
    from kiosk.peers.wire import to_ranges

    db = tmp_path_factory.mktemp("ranges") / "kiosk.db"
    with RecordStore(db, min_free_mb=0) as store:
        made = [store.add(new(), now=1.7e9 + t, mono_ns=i) for i, t in enumerate(times)]
        wanted = to_ranges(sorted(r.seq for r, t in zip(made, times, strict=True) if t >= since))
        assert store.seq_ranges_since(1.7e9 + since) == wanted
