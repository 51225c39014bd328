"""Several processes on one registry: migrations as a locked step, workers, shared lists."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests

from checkin_protocol.documents import DENY_LIST, TRUST_LIST
from registry.auth import Role
from registry.db import make_engine, schema_is_current
from registry.service import Registry
from support.registry import free_port, postgres_available, postgres_database
from support.timing import wait_for


def command(data: Path, db: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "registry", "--data", str(data), "--db", db, *args]


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database nobody has set up yet."""
    with ExitStack() as stack:
        if request.param == "postgresql":
            why = postgres_available()
            if why:
                pytest.skip(why)
            yield stack.enter_context(postgres_database())
        else:
            yield f"sqlite:///{tmp_path / 'data' / 'registry.db'}"


@pytest.mark.slow
def test_two_instances_migrating_at_once_wait_for_each_other(fresh_db: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    runs = [
        subprocess.Popen(
            command(data, fresh_db, "migrate"), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    outcomes = [(p.wait(120), p.stderr.read().decode() if p.stderr else "") for p in runs]
    for p in runs:
        for stream in (p.stdout, p.stderr):
            if stream:
                stream.close()
    assert [code for code, _ in outcomes] == [0, 0], outcomes
    engine = make_engine(fresh_db)
    assert schema_is_current(engine)
    engine.dispose()
    assert sorted(p.name for p in (data / "keys").glob("issuer-*.key")).__len__() == 1


def test_several_workers_refuse_a_schema_that_is_behind(fresh_db: str, tmp_path: Path) -> None:
    if fresh_db.startswith("sqlite"):
        pytest.skip("several workers are for PostgreSQL")
    done = subprocess.run(
        command(tmp_path / "data", fresh_db, "serve", "--workers", "2", "--port", "1"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "run `kiosk-registry migrate` first" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_number_of_workers_is_refused(tmp_path: Path) -> None:
    for bad in ("0", "65", "x", "-1"):
        done = subprocess.run(
            command(tmp_path, "sqlite://", "serve", "--workers", bad),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2 and "from 1 to 64" in done.stderr, bad


def test_two_registries_serve_the_same_bytes_for_a_list_version(registry: Registry) -> None:
    other = Registry(registry.settings)  # another process's registry: caches of its own
    try:
        for name in (TRUST_LIST, DENY_LIST):
            assert other.document(name) == registry.document(name)
        registry.rotate_keys()  # a new trust list version
        first = other.document(TRUST_LIST)
        assert registry.document(TRUST_LIST) == first
        assert other.document(TRUST_LIST) == first
    finally:
        other.engine.dispose()


@pytest.mark.slow
def test_two_worker_processes_serve_one_list_with_one_etag(registry: Registry) -> None:
    if registry.engine.dialect.name != "postgresql":
        done = subprocess.run(
            command(registry.settings.data_dir, registry.settings.database_url, "serve",
                    "--workers", "2"), capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 2 and "--workers needs PostgreSQL" in done.stderr
        return
    admin = registry.add_user("boss", Role.ADMIN)
    port = free_port()
    log = registry.settings.data_dir.parent / f"workers-{port}.log"
    with log.open("ab") as err:
        proc = subprocess.Popen(
            command(
                registry.settings.data_dir,
                registry.settings.database_url,
                "serve",
                "--workers",
                "2",
                "--port",
                str(port),
            ),
            stdout=subprocess.DEVNULL,
            stderr=err,
            env={**os.environ, "REGISTRY_PURGE_INTERVAL": "0"},
        )
    try:

        def workers() -> int:
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
            return len(children)

        def answers() -> bool:
            try:
                return requests.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200
            except requests.ConnectionError:
                return False

        assert wait_for(lambda: workers() >= 2 and answers(), 90), log.read_text()
        seen = set()
        for _ in range(12):
            # A new connection each time: the kernel hands each to either worker.
            r = requests.get(
                f"http://127.0.0.1:{port}/api/v1/lists/trust",
                headers={"Authorization": f"Bearer {admin}", "Connection": "close"},
                timeout=30,
            )
            assert r.status_code == 200
            seen.add((r.headers["ETag"], r.content))
        assert len(seen) == 1
        # And the same as this process serves for that version: one document per version.
        assert next(iter(seen))[1].decode() == registry.document(TRUST_LIST)[1]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
