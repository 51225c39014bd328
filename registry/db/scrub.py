"""After rows are deleted: the files scrubbed of them (SQLite's WAL, PostgreSQL's heap)."""

from __future__ import annotations

import logging
import time

from sqlalchemy import Engine, text

log = logging.getLogger(__name__)

# Tables whose rows name a person: VACUUMed on PostgreSQL after an erasure.
PERSONAL_TABLES = (
    "records",
    "declarations",
    "issued_passes",
    "deny_entries",
    "self_checkins",
    "audit_log",
)
CHECKPOINT_TRIES = 20


def scrub(engine: Engine) -> bool:
    """Make deleted rows unreadable from the files, as far as this database lets us.

    SQLite: every connection runs with `secure_delete` on (registry.db.make_engine), so a
    delete overwrites the rows and freed pages with zeros; yet the page images written before
    stay in the `-wal` file until a checkpoint copies the database's pages back and the WAL
    is truncated to nothing. A reader in the middle of a transaction holds the checkpoint
    back: tried again a few times, then left to the next one (False).

    PostgreSQL: VACUUM marks the dead tuples' space free in the heap and indexes (it is
    reused, not zeroed); the WAL segments and archives keep them until they are recycled or
    expire (docs/privacy.md)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM " + ", ".join(PERSONAL_TABLES)))
        return True
    for attempt in range(CHECKPOINT_TRIES):
        with engine.connect() as conn:
            busy, _, _ = conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).one()
        if not busy:
            return True
        time.sleep(0.05 * (attempt + 1))
    log.warning("WAL checkpoint held back by a reader; the next purge or erasure retries it")
    return False
