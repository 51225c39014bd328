"""`kiosk status`: today's counts, the queue, the venue count's age; it never creates a database."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from kiosk.store import RecordStore
from support.cli import run_kiosk
from support.venue_records import ZONE

# In this process, answering as the program would. A pipe closed under the command is tested
# on the program itself (`python -m kiosk`): only a process has a real pipe to close.
kiosk = run_kiosk


def test_status_today_line_local_times_and_no_registry(venue_db: tuple[str, float]) -> None:
    cfg, today = venue_db
    out = kiosk("status", "--config", cfg)
    assert out.returncode == 0, out.stderr
    assert "today           entries 0 / exits 1 / refused 1" in out.stdout
    assert "registry        no registry configured" in out.stdout
    assert "queued for sync" not in out.stdout
    day = datetime.fromtimestamp(today, ZONE)
    assert f"last decision   {day:%Y-%m-%d} 00:02:00 PASS signed_pass" in out.stdout


def test_status_with_a_registry(unreachable_registry: Path) -> None:
    cfg = unreachable_registry
    out = kiosk("status", "--config", str(cfg))
    assert "registry        http://127.0.0.1:9" in out.stdout
    assert "queued for sync 4" in out.stdout and "oldest unsynced " in out.stdout


def test_status_never_creates_a_database(
    write_config: Callable[..., Path], venue_dir: Path
) -> None:
    out = kiosk("status", "--config", str(write_config()))
    assert out.returncode == 1 and "no database at" in out.stderr
    assert not (venue_dir / "kiosk.db").exists()
    assert kiosk("export", "--config", str(write_config())).returncode == 1
    assert not (venue_dir / "kiosk.db").exists()


def test_status_and_export_never_touch_a_database_that_is_not_a_kiosks(
    write_config: Callable[..., Path], venue_dir: Path
) -> None:
    import hashlib
    import sqlite3

    other = venue_dir / "kiosk.db"  # storage.path points at someone else's database
    with contextlib.closing(sqlite3.connect(other)) as db:
        db.execute("CREATE TABLE t (x)")
        db.commit()
    before = hashlib.sha256(other.read_bytes()).hexdigest()
    cfg = str(write_config())
    for args in (["status", "--config", cfg], ["export", "--config", cfg]):
        out = kiosk(*args)
        assert out.returncode == 1 and "not a kiosk's database" in out.stderr, out.stderr
        assert "Traceback" not in out.stderr and out.stdout == ""
    assert hashlib.sha256(other.read_bytes()).hexdigest() == before
    with contextlib.closing(sqlite3.connect(other)) as db:
        assert [r[0] for r in db.execute("SELECT name FROM sqlite_master")] == ["t"]
    other.write_bytes(b"hello")  # not SQLite at all
    out = kiosk("status", "--config", cfg)
    assert out.returncode == 1 and "not a database" in out.stderr and "Traceback" not in out.stderr


def test_status_into_a_closed_pipe_is_no_error(venue_db: tuple[str, float]) -> None:
    read, write = os.pipe()
    os.close(read)  # `| head -2` that has already read its lines and gone
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "kiosk", "status", "--config", venue_db[0]],
            stdout=write, stderr=subprocess.PIPE, timeout=60,
        )  # fmt: skip
    finally:
        os.close(write)
    assert proc.returncode == 0 and proc.stderr == b""


def test_status_says_how_old_the_venue_count_is_and_when_the_door_calls_it_stale(
    unreachable_registry: Path, venue_dir: Path
) -> None:
    from kiosk.decision.occupancy import Snapshot, save_snapshot

    cfg = unreachable_registry
    now = time.time()
    for received, stale in ((now - 10, False), (now - 3 * 3600, True)):
        with RecordStore(venue_dir / "kiosk.db", min_free_mb=0) as store:
            save_snapshot(store, Snapshot(7, received - 1, received))
        out = kiosk("status", "--config", str(cfg))
        line = next(x for x in out.stdout.splitlines() if x.startswith("venue inside"))
        assert line.startswith("venue inside    7 (registry, ") and "received " in line
        assert ("STALE" in line) == stale, line
        assert ("3 h ago" in line) == stale, line
        status = json.loads(kiosk("status", "--config", str(cfg), "--json").stdout)
        assert status["venue_inside"]["stale"] is stale


def test_status_says_which_registry_host_the_kiosk_syncs_through(
    write_config: Callable[..., Path], venue_dir: Path, venue_db: tuple[str, float]
) -> None:
    from kiosk.store import RecordStore

    (venue_dir / "kiosk.token").write_text("t" * 40)
    (venue_dir / "kiosk.token").chmod(0o600)
    shutil.copy(venue_dir / "issuer.pub", venue_dir / "lists.pub")
    cfg = write_config(
        "registry: {url: ['http://127.0.0.1:9', 'http://127.0.0.1:10/'], "
        "token_file: kiosk.token, list_key: lists.pub}\n",
        name="two-hosts.yaml",
    )
    with RecordStore(venue_dir / "kiosk.db", min_free_mb=0) as store:
        store.set_meta("registry_host", "http://127.0.0.1:10")  # as the sync worker keeps it
    out = kiosk("status", "--config", str(cfg))
    assert "registry        http://127.0.0.1:9, http://127.0.0.1:10/ (in use)" in out.stdout
    shown = json.loads(kiosk("status", "--config", str(cfg), "--json").stdout)
    assert shown["registry_host"] == "http://127.0.0.1:10"
