"""The failover drill: primary killed mid-ingest, standby promoted, every record there once."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.app.core import open_store
from registry.service import Registry
from registry.settings import Settings
from support.kiosk_sync import KioskSide, add_records
from support.pgcluster import PgServer, sql, unavailable
from support.registry import RegistryServer
from support.timing import wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def folder() -> Iterator[Path]:
    why = unavailable()
    if why:
        pytest.skip(why)
    # Not under pytest's tmp_path: the servers run as the postgres user, who must reach it.
    path = Path(tempfile.mkdtemp(prefix="pg-drill-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_with_synchronous_replication_the_promoted_standby_has_every_acknowledged_record(
    folder: Path, venue_dir: Path, write_config: Callable[..., Path]
) -> None:
    primary, standby = PgServer(folder / "primary"), PgServer(folder / "standby")
    servers: list[RegistryServer] = []
    try:
        primary.initdb()
        primary.start()
        sql(primary.url(), "CREATE DATABASE registry")
        standby.standby_of(primary, "standby1")
        standby.start()
        # Synchronous from here on: a commit returns only once the standby has it on disk.
        sql(primary.url(), "ALTER SYSTEM SET synchronous_standby_names = 'standby1'")
        sql(primary.url(), "SELECT pg_reload_conf()")
        assert wait_for(
            lambda: sql(primary.url(), "SELECT sync_state FROM pg_stat_replication") == [("sync",)],
            60,
        )
        data = folder / "registry-data"
        registry = Registry(Settings(data_dir=data, database_url=primary.url("registry")))
        registry.init()
        registry.add_venue("test-venue", "Test Venue")
        token = registry.add_kiosk("test-venue", "k1")
        registry.engine.dispose()
        fd = os.open(venue_dir / "kiosk.token", os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, token.encode() + b"\n")
        os.close(fd)
        shutil.copy(data / "keys" / "lists.pub", venue_dir / "lists.pub")
        on_primary = RegistryServer(data, primary.url("registry"))
        on_standby = RegistryServer(data, standby.url("registry"))
        servers += [on_primary, on_standby]
        on_primary.start()
        kiosk = KioskSide(venue_dir, write_config)
        # The kiosk knows both: the second answers only once the standby is promoted.
        cfg = kiosk.config(f"[{on_primary.url}, {on_standby.url}]", batch_size=10)
        with open_store(cfg.storage) as store:
            ids = add_records(store, 1000)
            worker = kiosk.worker(cfg, store)
            worker.start()
            try:
                assert wait_for(lambda: store.queued() <= 900, 120), worker.state
                primary.crash()  # mid-ingest: uploads are under way
                acked = {r.id for r in store.records() if r.sync_state == "synced"}
                standby.promote()
                present = {r[0] for r in sql(standby.url("registry"), "SELECT id FROM records")}
                on_standby.start()
                # Every record settled, through the second host (the first one is gone).
                assert wait_for(
                    lambda: store.queued() == 0 and worker.state.host == on_standby.url, 180
                ), worker.state
            finally:
                worker.stop()
        rows = sql(standby.url("registry"), "SELECT id, count(*) FROM records GROUP BY id")
        print(
            f"drill: recorded {len(ids)}, acknowledged when the primary died {len(acked)}, "
            f"on the promoted standby then {len(present)}, after the kiosk resent "
            f"{len(rows)}, duplicates {sum(1 for _, n in rows if int(str(n)) > 1)}"
        )
        assert 100 <= len(acked) < len(ids)  # killed mid-ingest, not before or after
        assert acked <= present  # no acknowledged record lost
        assert sorted(str(r[0]) for r in rows) == sorted(ids)  # every record
        assert all(int(str(n)) == 1 for _, n in rows)  # once
    finally:
        for server in servers:
            server.stop()
        standby.stop()
        primary.stop()
