"""`kiosk-registry backup`: a whole, consistent copy of SQLite made while kiosks upload."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest
import requests

from registry.cli import main
from registry.service import Registry
from support.registry import RegistryServer, make_record


def cli(registry: Registry, *args: str) -> int:
    settings = registry.settings
    return main(["--data", str(settings.data_dir), "--db", settings.database_url, *args])


def sqlite_only(registry: Registry) -> None:
    if registry.engine.dialect.name != "sqlite":
        pytest.skip("the copy is SQLite's; PostgreSQL is backed up by WAL archiving")


def ids_in(copy: Path) -> list[str]:
    with sqlite3.connect(copy) as conn:
        assert [r[0] for r in conn.execute("PRAGMA integrity_check")] == ["ok"]
        return [r[0] for r in conn.execute("SELECT id FROM records")]


def test_a_backup_made_while_kiosks_upload_holds_every_record_acknowledged_before_it(
    registry: Registry, server: RegistryServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sqlite_only(registry)
    token = registry.add_kiosk("v1", "k1")
    acked: list[str] = []
    lock = threading.Condition()
    stop = threading.Event()
    failures: list[str] = []

    def upload() -> None:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {token}"
        while not stop.is_set():
            batch = [make_record() for _ in range(50)]
            r = http.post(f"{server.url}/api/v1/records", json={"records": batch}, timeout=30)
            if r.status_code != 200:
                with lock:
                    failures.append(f"{r.status_code} {r.text[:200]}")
                    lock.notify_all()
                return
            done = [x["id"] for x in r.json()["results"] if x["status"] == "accepted"]
            with lock:
                acked.extend(done)
                lock.notify_all()

    uploader = threading.Thread(target=upload)
    uploader.start()
    copies: list[tuple[set[str], Path]] = []
    try:
        for n in range(3):
            # Wait for uploads to be under way (acknowledged ones, not a time).
            wanted = 100 * (n + 1)
            with lock:
                assert lock.wait_for(lambda: len(acked) >= wanted or failures, 120)  # noqa: B023
                before = set(acked)
            target = tmp_path / f"registry-{n}.db"
            assert cli(registry, "backup", str(target)) == 0
            copies.append((before, target))
    finally:
        stop.set()
        uploader.join(60)
    assert not failures
    out = capsys.readouterr().out
    assert '"integrity": "ok"' in out
    for before, copy in copies:
        held = ids_in(copy)
        assert len(held) == len(set(held))  # none twice
        assert before <= set(held)  # every record acknowledged before the copy began
    # And every acknowledged record, before or after the copies, is in the registry itself.
    with sqlite3.connect(registry.engine.url.database or "") as conn:
        live = {r[0] for r in conn.execute("SELECT id FROM records")}
    assert set(acked) <= live
    assert oct(copies[-1][1].stat().st_mode & 0o777) == "0o600"  # personal data: owner only


def test_backup_check_reports_the_last_backup_and_alarms_without_one(
    registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sqlite_only(registry)
    (registry.settings.data_dir / "backup.json").unlink(missing_ok=True)
    assert cli(registry, "backup", "check") == 1
    assert "no backup recorded" in capsys.readouterr().err
    target = tmp_path / "copy.db"
    assert cli(registry, "backup", str(target)) == 0
    capsys.readouterr()
    assert cli(registry, "backup", "check") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["last_backup"]["file"] == str(target.resolve())
    assert 0 <= report["last_backup"]["age_s"] <= report["max_age_s"]
    assert report["alarms"] == []
    target.unlink()
    assert cli(registry, "backup", "check") == 1
    assert "is gone" in capsys.readouterr().err


def test_on_postgresql_backup_points_to_wal_archiving_and_check_reports_it(
    registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if registry.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's archive")
    assert cli(registry, "backup", str(tmp_path / "copy.db")) == 1
    assert "WAL archiving" in capsys.readouterr().err
    assert not (tmp_path / "copy.db").exists()
    status = cli(registry, "backup", "check")
    report = json.loads(capsys.readouterr().out)
    assert report["archive"]["archive_mode"] in {"on", "off", "always"}
    # The test server does not archive: that is an alarm, exit 1.
    assert (status == 1) == bool(report["alarms"])
