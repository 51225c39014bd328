"""The restore drill: WAL archived with pgBackRest, a new server restored to a moment, checked."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import requests

from registry.cli import main
from registry.service import Registry
from registry.settings import Settings
from support.pgcluster import Archive, PgServer, pgbackrest_unavailable
from support.registry import RegistryServer, make_record

pytestmark = pytest.mark.slow


def sql(url: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(
        url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True, connect_timeout=10
    ) as conn:
        cur = conn.execute(query)
        return list(cur.fetchall()) if cur.description is not None else []


@pytest.fixture
def folder() -> Iterator[Path]:
    why = pgbackrest_unavailable()
    if why:
        pytest.skip(why)
    path = Path(tempfile.mkdtemp(prefix="pg-restore-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def upload(server: RegistryServer, token: str, n: int) -> list[str]:
    """n records through the API in batches of 50; the ids the registry acknowledged."""
    acked: list[str] = []
    for _ in range(0, n, 50):
        batch = [make_record() for _ in range(50)]
        r = requests.post(
            f"{server.url}/api/v1/records",
            json={"records": batch},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        acked += [x["id"] for x in r.json()["results"] if x["status"] == "accepted"]
    return acked


def test_a_new_server_restored_to_a_moment_holds_exactly_what_was_acknowledged_by_then(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    primary = PgServer(folder / "primary")
    archive = Archive(folder / "archive", primary)
    restored = PgServer(folder / "restored")
    server = None
    try:
        primary.initdb(f"archive_mode = on\narchive_command = '{archive.archive_command()}'\n")
        primary.start()
        sql(primary.url(), "CREATE DATABASE registry")
        archive.run("stanza-create")
        data = folder / "registry-data"
        url = primary.url("registry")
        registry = Registry(Settings(data_dir=data, database_url=url))
        registry.init()
        registry.add_venue("v1", "Venue One")
        token = registry.add_kiosk("v1", "k1")
        registry.engine.dispose()
        archive.run("--type=full", "backup")  # the base backup
        server = RegistryServer(data, url)
        server.start()
        before = upload(server, token, 300)
        moment = str(sql(primary.url(), "SELECT now()::text")[0][0])  # the moment to restore
        after = upload(server, token, 200)
        archive.run("check")  # a WAL switch, and waits until the segment is archived
        # What an operator's monitoring reads: archiving on, the newest restorable point.
        status = main(["--data", str(data), "--db", url, "backup", "check"])
        report = capsys.readouterr().out
        assert status == 0, report
        assert '"archive_mode": "on"' in report and '"newest_restorable"' in report
        server.stop()
        primary.crash()  # the server is lost

        archive.restore_to(restored, moment)
        restored.start()
        deadline = time.monotonic() + 120
        while sql(restored.url(), "SELECT pg_is_in_recovery()") != [(False,)]:
            assert time.monotonic() < deadline, "the restored server was never promoted"
            time.sleep(0.2)
        rows = sql(restored.url("registry"), "SELECT id, count(*) FROM records GROUP BY id")
        held = {str(r[0]) for r in rows}
        print(
            f"restore drill: recorded {len(before) + len(after)}, acknowledged by the moment "
            f"{len(before)}, present after the restore {len(held)}, duplicates "
            f"{sum(1 for _, n in rows if int(str(n)) > 1)}, acknowledged after it (lost unless "
            f"kiosks resend) {len(after)}"
        )
        assert len(before) == 300 and len(after) == 200
        assert held == set(before)  # everything acknowledged by then, nothing after
        assert all(int(str(n)) == 1 for _, n in rows)
    finally:
        if server is not None:
            server.stop()
        restored.stop()
        primary.stop()
