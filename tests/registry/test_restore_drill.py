"""The restore drill: WAL archived with pgBackRest, a new server restored to a moment, checked."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from checkin_protocol.times import utc_iso
from kiosk.app.core import open_store
from registry.cli import main
from registry.service import Registry
from registry.settings import Settings
from support.kiosk_sync import KioskSide, add_records
from support.pgcluster import Archive, PgServer, pgbackrest_unavailable, sql
from support.registry import RegistryServer

pytestmark = pytest.mark.slow


@pytest.fixture
def folder() -> Iterator[Path]:
    why = pgbackrest_unavailable()
    if why:
        pytest.skip(why)
    path = Path(tempfile.mkdtemp(prefix="pg-restore-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def drained(worker: object) -> None:
    assert worker.drain(lambda done, total: None, time.monotonic() + 120), worker.state  # type: ignore[attr-defined]


def test_a_new_server_restored_to_a_moment_then_the_kiosk_resends_what_came_after(
    folder: Path,
    venue_dir: Path,
    write_config: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    primary = PgServer(folder / "primary")
    archive = Archive(folder / "archive", primary)
    restored = PgServer(folder / "restored")
    servers: list[RegistryServer] = []
    try:
        primary.initdb(f"archive_mode = on\narchive_command = '{archive.archive_command()}'\n")
        primary.start()
        sql(primary.url(), "CREATE DATABASE registry")
        archive.run("stanza-create")
        data = folder / "registry-data"
        url = primary.url("registry")
        registry = Registry(Settings(data_dir=data, database_url=url))
        registry.init()
        registry.add_venue("test-venue", "Test Venue")
        token = registry.add_kiosk("test-venue", "k1")
        registry.engine.dispose()
        fd = os.open(venue_dir / "kiosk.token", os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, token.encode() + b"\n")
        os.close(fd)
        shutil.copy(data / "keys" / "lists.pub", venue_dir / "lists.pub")
        archive.run("--type=full", "backup")  # the base backup
        on_primary = RegistryServer(data, url)
        on_restored = RegistryServer(data, restored.url("registry"))
        servers += [on_primary, on_restored]
        on_primary.start()
        kiosk = KioskSide(venue_dir, write_config)
        cfg = kiosk.config(f"[{on_primary.url}, {on_restored.url}]", batch_size=50)
        with open_store(cfg.storage) as store:
            worker = kiosk.worker(cfg, store)
            ids = add_records(store, 300)
            drained(worker)
            moment = str(sql(primary.url(), "SELECT now()::text")[0][0])  # to restore to
            kiosk_moment = utc_iso(time.time())  # the same moment on the kiosk's clock
            ids += add_records(store, 200)
            drained(worker)
            acked_after = 200 - store.queued()
            archive.run("check")  # a WAL switch, and waits until the segment is archived
            # What monitoring reads: archiving on, the newest restorable point.
            status = main(["--data", str(data), "--db", url, "backup", "check"])
            report = capsys.readouterr().out
            assert status == 0, report
            assert '"archive_mode": "on"' in report and '"newest_restorable"' in report
            on_primary.stop()
            primary.crash()  # the server is lost

            archive.restore_to(restored, moment)
            restored.start()
            deadline = time.monotonic() + 120
            while sql(restored.url(), "SELECT pg_is_in_recovery()") != [(False,)]:
                assert time.monotonic() < deadline, "the restored server was never promoted"
                time.sleep(0.2)
            restored_ids = {
                str(r[0]) for r in sql(restored.url("registry"), "SELECT id FROM records")
            }
            on_restored.start()
            # The operator: `kiosk sync --resend-since <the moment>` at each kiosk.
            again = store.resend_since(kiosk_moment)
            drained(worker)
        rows = sql(restored.url("registry"), "SELECT id, count(*) FROM records GROUP BY id")
        print(
            f"restore drill: recorded {len(ids)}, acknowledged by the moment 300, after it "
            f"{acked_after}, present after the restore {len(restored_ids)}, queued again "
            f"{again}, present after the resend {len(rows)}, duplicates "
            f"{sum(1 for _, n in rows if int(str(n)) > 1)}"
        )
        assert acked_after == 200
        assert restored_ids == set(ids[:300])  # everything acknowledged by then, none after
        assert again >= 200
        assert sorted(str(r[0]) for r in rows) == sorted(ids)  # and after the resend, all
        assert all(int(str(n)) == 1 for _, n in rows)  # once
    finally:
        for server in servers:
            server.stop()
        restored.stop()
        primary.stop()
