"""Registry storage: SQLAlchemy 2 models, engine set-up and Alembic migrations."""

from __future__ import annotations

import fcntl
import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # hide_parameters: a failed statement's error (logged by whoever catches it) must not
        # quote the names, phones and subjects it carried.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            # WAL lets the dashboard read while kiosks upload. FULL: the WAL is synced before
            # a commit returns, so a record acknowledged to a kiosk (which then stops sending
            # it) survives a power cut too; NORMAL could lose the last commits to one.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            # Deleted rows and freed pages are overwritten with zeros: a purged or erased
            # record is not left readable in the file (registry.db.scrub does the WAL).
            cur.execute("PRAGMA secure_delete=ON")
            cur.close()

        return engine
    return create_engine(
        url, pool_size=10, max_overflow=20, pool_pre_ping=True, hide_parameters=True
    )


def alembic_config(engine: Engine) -> AlembicConfig:
    # Imported here: alembic costs a second of start-up to every CLI command that never migrates.
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration: when it is there already, one read of the
    version table and nothing more (Alembic's upgrade would run every migration file again
    to learn that it has nothing to do)."""
    if schema_is_current(engine):
        return
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


@functools.cache
def newest_migrations() -> frozenset[str]:
    """The heads of the migrations this registry ships: read from their files once a process
    (they are part of the installed program and do not change while it runs)."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory(str(MIGRATIONS)).get_heads())


def schema_is_current(engine: Engine) -> bool:
    """Whether the database is at the newest migration (False for an empty one)."""
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads()) == newest_migrations()


# Any fixed number: the advisory lock every registry process takes to set up the database.
_PG_SETUP_LOCK = 0x4B494F534B  # "KIOSK"


@contextmanager
def setup_lock(engine: Engine, data_dir: Path) -> Iterator[None]:
    """Held while one process migrates the schema and creates the keys: two instances
    started at once wait for each other instead of racing (PostgreSQL: a session advisory
    lock; SQLite: an exclusive lock on a file in the data folder, which every process of an
    embedded registry shares)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({_PG_SETUP_LOCK})")
            conn.commit()
            try:
                yield
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_PG_SETUP_LOCK})")
                conn.commit()
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / "setup.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
