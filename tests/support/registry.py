"""The real registry, run as a server process on loopback, with SQLite or PostgreSQL behind it.

One server per database kind serves a whole test session; `reset_registry` empties its
database between tests, so each test starts from a freshly set-up registry.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

START_TIMEOUT = 90  # seconds
PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def make_record(kiosk: str = "k1", venue: str = "v1", **fields: Any) -> dict[str, Any]:
    """A record as a kiosk uploads it."""
    record = {
        "id": str(uuid.uuid4()), "seq": 1, "venue_id": venue, "kiosk_id": kiosk,
        "direction": "entry", "code_kind": "signed_pass", "subject": "pass:" + uuid.uuid4().hex,
        "masked_name": "Nguyễn V** A", "verified": True, "verdict": "PASS", "reason": None,
        "manual": False, "created_utc": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
        "created_mono_ns": 1, "boot_id": "b",
    }  # fmt: skip
    record.update(fields)
    return record


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_available() -> str | None:
    """None if PostgreSQL answers, else why not."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        with psycopg.connect(_libpq(PG_ADMIN_URL), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}".splitlines()[0]


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database for one test, dropped afterwards."""
    import psycopg

    name = f"registry_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(PG_ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(_libpq(PG_ADMIN_URL), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class RegistryServer:
    """`kiosk-registry serve` in a child process; stop, kill and start it again at will."""

    def __init__(self, data: Path, db_url: str, env: dict[str, str] | None = None) -> None:
        self.data = data
        self.db_url = db_url
        # REGISTRY_* settings for this server; the retention job is off unless a test asks:
        # tests that store old records must not race a purge.
        self.env = {"REGISTRY_PURGE_INTERVAL": "0", **(env or {})}
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        """Everything the server wrote to stderr."""
        return self.data.parent / f"{self.data.name}-server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _spawn(self, log: Any) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "registry",
                "--data",
                str(self.data),
                "--db",
                self.db_url,
                "serve",
                "--port",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            # A file, not a pipe nobody reads: a chatty server must never block on it, and
            # tests read what it logged.
            stderr=log,
            env={**os.environ, **self.env},
        )

    def start(self) -> None:
        with self.log.open("ab") as log:  # the child has its own copy of the descriptor
            self.proc = self._spawn(log)
        # Generous: on a loaded 2-core machine a start takes many seconds, and a socket that
        # accepts before the app answers (a read timeout) is a server still starting.
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.log.read_text(errors="replace")[-4000:]
                raise RuntimeError(f"registry exited: {err}")
            try:
                requests.get(self.url + "/", timeout=5)
                return
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.05)
        raise RuntimeError(f"registry did not start within {START_TIMEOUT} s")

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@dataclass
class SharedRegistry:
    """One database kind's data folder, database and (once asked for) server, for a session."""

    kind: str
    data: Path
    url: str
    server: RegistryServer | None = field(default=None)

    def running_server(self) -> RegistryServer:
        """The session's server, started (again, if a test stopped or killed it)."""
        if self.server is None:
            self.server = RegistryServer(self.data, self.url)
        if not self.server.running:
            self.server.start()
        return self.server


class SharedRegistries:
    """The session's registries by database kind, made on first use and removed at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._by_kind: dict[str, SharedRegistry] = {}
        self._stack = ExitStack()

    def get(self, kind: str) -> SharedRegistry:
        if kind not in self._by_kind:
            url = (
                f"sqlite:///{self.folder / kind / 'registry.db'}"
                if kind == "sqlite"
                else self._stack.enter_context(postgres_database())
            )
            shared = SharedRegistry(kind, self.folder / kind, url)
            self._by_kind[kind] = shared
            self._stack.callback(_stop, shared)
        return self._by_kind[kind]

    def by_url(self, url: str) -> SharedRegistry:
        return next(r for r in self._by_kind.values() if r.url == url)

    def close(self) -> None:
        self._stack.close()


def _stop(shared: SharedRegistry) -> None:
    if shared.server is not None:
        shared.server.stop()


def reset_registry(registry: Any) -> None:
    """Empty every table but the list versions and the migration mark, then set up again.

    List versions only ever go up, as in a real registry: a server that cached a signed list
    must see a new version, never an old number with new content.
    """
    from sqlalchemy import update

    from registry.db.models import Base, ListVersion

    registry.init()  # the schema, on a database's first use
    tables = [
        t for t in reversed(Base.metadata.sorted_tables) if t.name != ListVersion.__tablename__
    ]
    with registry.engine.begin() as conn:
        # DELETE, children first, not TRUNCATE: on PostgreSQL a TRUNCATE of every table costs
        # ~0.2 s (new files for each), a DELETE of a test's few rows a few milliseconds.
        for t in tables:
            conn.execute(t.delete())
        if registry.engine.dialect.name == "postgresql":
            # Numbering starts again at 1, as on a fresh database (SQLite does so by itself).
            for t in tables:
                if t.autoincrement_column is not None:
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{t.name}', "
                        f"'{t.autoincrement_column.name}'), 1, false)"
                    )
        conn.execute(update(ListVersion).values(version=ListVersion.version + 1))
    for old in registry.settings.keys_dir.glob("issuer-*"):
        old.unlink()  # their keys are gone from the database; init makes a new one
    registry.init()


def own_address() -> dict[str, str]:
    """A client address of one's own, through the loopback proxy the server trusts: rate
    limits met by one test do not spill into the next one on a shared server."""
    n = uuid.uuid4().int
    return {"X-Forwarded-For": f"10.{n % 250}.{n // 250 % 250}.{n // 62500 % 250 + 1}"}


def form_token(session: requests.Session, url: str) -> str:
    """The CSRF token of the form at `url` (its cookie lands in the session)."""
    import re

    page = session.get(url, timeout=10).text
    found = re.search(r'name="csrf" value="([^"]*)"', page)
    assert found, f"no CSRF token in {url}"
    return found.group(1)


def sign_in(session: requests.Session, base: str, token: str, next: str = "/") -> requests.Response:
    """Sign in through the form, as a browser does."""
    csrf = form_token(session, f"{base}/login")
    return session.post(
        f"{base}/login",
        data={"token": token, "next": next, "csrf": csrf},
        headers=own_address(),
        allow_redirects=False,
        timeout=10,
    )


def database_url(kind: str, registries: SharedRegistries) -> str:
    """The session's database of this kind; the test skips, saying why, without PostgreSQL."""
    import pytest

    if kind == "postgresql":
        why = postgres_available()
        if why:
            pytest.skip(why)
    return registries.get(kind).url
