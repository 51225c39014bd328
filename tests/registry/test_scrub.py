"""Deleted rows leave SQLite's files: secure_delete zeroes them, the WAL is checkpointed away."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, insert

from registry.db import make_engine, upgrade
from registry.db.models import Declaration
from registry.db.scrub import scrub

NAME = "Phạm Thị Lan"


def files(database: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (database, Path(f"{database}-wal")) if p.exists())


def test_a_deleted_row_stays_in_the_wal_until_it_is_scrubbed(tmp_path: Path) -> None:
    database = tmp_path / "r.db"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    with engine.begin() as c:
        c.execute(
            insert(Declaration),
            [
                {"created_ms": 1, "name": f"{NAME} {n}", "id_hash": f"idh:{n:032x}",
                 "phone": "0912345678", "symptoms": False, "contact": False, "pass_id": f"{n:032x}"}
                for n in range(50)
            ],
        )  # fmt: skip
    with engine.begin() as c:
        c.execute(delete(Declaration))
    # Deleted, and zeroed in the pages the delete wrote; the older page images remain in the
    # WAL: this is what an erasure must not leave.
    assert NAME.encode() in files(database)
    assert scrub(engine)
    assert Path(f"{database}-wal").stat().st_size == 0
    assert NAME.encode() not in files(database)
    assert b"0912345678" not in files(database)
    engine.dispose()
