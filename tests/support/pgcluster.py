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

    def configure(self, extra: str = "") -> None:
        """Appended last: these win over what a base backup or a restore brought along."""
        with (self.data / "postgresql.auto.conf").open("a", encoding="utf-8") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.folder}'\n"
                "wal_level = replica\nmax_wal_senders = 5\nfsync = on\n" + extra
            )

    def initdb(self, extra: str = "") -> None:
        self.run("initdb", "-D", str(self.data), "--auth=trust", "-U", "postgres", "-E", "UTF8")
        self.configure(extra)

    def standby_of(self, primary: PgServer, name: str) -> None:
        """A streaming standby of `primary` (pg_basebackup -R), known to it as `name`."""
        self.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
            "-D", str(self.data), "-R", "-X", "stream", "--checkpoint=fast",
        )  # fmt: skip
        self.configure(f"cluster_name = '{name}'\n")

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


def pgbackrest_unavailable() -> str | None:
    """Why the archive drill cannot run here, or None."""
    why = unavailable()
    if why:
        return why
    if shutil.which("pgbackrest") is None:
        return "pgBackRest is not installed (apt-get install pgbackrest; ./dev test installs it)"
    return None


class Archive:
    """A pgBackRest repository on local disk for one server (stanza `registry`)."""

    STANZA = "registry"

    def __init__(self, folder: Path, server: PgServer) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o755)
        _own(folder)
        self.conf = folder / "pgbackrest.conf"
        self.conf.write_text(
            "[global]\n"
            f"repo1-path={folder / 'repo'}\nlog-path={folder}\nlock-path={folder}\n"
            "start-fast=y\narchive-timeout=60\nlog-level-console=warn\n"
            f"[{self.STANZA}]\npg1-path={server.data}\npg1-port={server.port}\n"
            f"pg1-socket-path={server.folder}\n",
            encoding="utf-8",
        )
        self.conf.chmod(0o644)

    def archive_command(self) -> str:
        return f"pgbackrest --config={self.conf} --stanza={self.STANZA} archive-push %p"

    def run(self, *args: str) -> str:
        done = subprocess.run(
            _as_owner(["pgbackrest", f"--config={self.conf}", f"--stanza={self.STANZA}", *args]),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            cwd=self.folder,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"pgbackrest {' '.join(args)}: {done.stdout[-1500:]}{done.stderr[-1500:]}"
            )
        return done.stdout

    def restore_to(self, server: PgServer, target_time: str) -> None:
        """A new server's data folder, restored from the last backup and the archived WAL up
        to `target_time`, then promoted; it archives nothing itself."""
        server.data.mkdir(mode=0o700)
        _own(server.data)
        self.run(
            f"--pg1-path={server.data}", "--type=time", f"--target={target_time}",
            "--target-action=promote", "restore",
        )  # fmt: skip
        server.configure("archive_mode = off\n")


def sql(url: str, query: str) -> list[tuple[object, ...]]:
    """One statement on a drill's server (a SQLAlchemy URL), its rows if it returns any."""
    import psycopg

    libpq = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(libpq, autocommit=True, connect_timeout=10) as conn:
        cur = conn.execute(query)
        return list(cur.fetchall()) if cur.description is not None else []
