"""PostgreSQL servers of a test's own (initdb, pg_basebackup, pg_ctl): a primary and its standby."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
from pathlib import Path

from support.registry import free_port

TIMEOUT = 120  # s for any one command: initdb and a base backup on a loaded 2-core machine


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def unavailable() -> str | None:
    """Why these servers cannot be started here, or None."""
    where = _bin_dir()
    if where is None:
        return "no initdb (PostgreSQL's server binaries) on this machine"
    for tool in ("initdb", "pg_ctl", "pg_basebackup"):
        if not (where / tool).exists():
            return f"no {tool} beside {where / 'initdb'}"
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root: as its own user, if there is one.
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root, and there is no postgres user to run the servers as"
        if shutil.which("runuser") is None:
            return "running as root without runuser to become the postgres user"
    return None


def _as_owner(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _own(path: Path) -> None:
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(path, pw.pw_uid, pw.pw_gid)


class PgServer:
    """One PostgreSQL server in a folder of its own, on a loopback port of its own."""

    def __init__(self, folder: Path) -> None:
        self.bin = _bin_dir() or Path("/nonexistent")
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.log = folder / "server.log"
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o755)
        _own(folder)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def run(self, tool: str, *args: str) -> str:
        done = subprocess.run(
            _as_owner([str(self.bin / tool), *args]),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            cwd=self.folder,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{tool} {' '.join(args)}: {done.stderr[-2000:]}")
        return done.stdout

    def _settings(self, extra: str = "") -> None:
        with (self.data / "postgresql.auto.conf").open("a", encoding="utf-8") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.folder}'\n"
                "wal_level = replica\nmax_wal_senders = 5\nfsync = on\n" + extra
            )

    def initdb(self, extra: str = "") -> None:
        self.run("initdb", "-D", str(self.data), "--auth=trust", "-U", "postgres", "-E", "UTF8")
        self._settings(extra)

    def standby_of(self, primary: PgServer, name: str) -> None:
        """A streaming standby of `primary` (pg_basebackup -R), known to it as `name`."""
        self.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
            "-D", str(self.data), "-R", "-X", "stream", "--checkpoint=fast",
        )  # fmt: skip
        self._settings(f"cluster_name = '{name}'\n")

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def crash(self) -> None:
        """Stopped as by a power cut to its processes: no shutdown checkpoint, nothing flushed
        that was not already."""
        self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "60", "stop")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def promote(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "promote")
