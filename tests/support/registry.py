"""The real registry, run as a server process on loopback, with SQLite or PostgreSQL behind it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

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

    def __init__(self, data: Path, db_url: str) -> None:
        self.data = data
        self.db_url = db_url
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
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
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"registry exited: {err}")
            try:
                requests.get(self.url + "/", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("registry did not start")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
