"""Records get the kiosk's own time (kiosk_ms); on PostgreSQL they are partitioned by its day.

Revision ID: 0012
Revises: 0011

The partition key is the kiosk's own clock, as sent (created_utc), not `created_ms`: that is
corrected by each batch's measured offset, so a resent record could land on another day and
slip past the primary key, which on a partitioned table must hold the key: (id, venue_id,
kiosk_id, kiosk_ms). A resend carries the same created_utc, so it still conflicts.
"""

import time

import sqlalchemy as sa
from alembic import op

from registry.db.partitions import DAY_MS, ensure_partitions, wanted_days

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

INDEXES = {
    "records_created": ["created_ms"],
    "records_venue_trace": ["venue_id", "created_ms", "verdict", "subject", "masked_name"],
    "records_subject_trace": [
        "subject", "created_ms", "verdict", "venue_id", "kiosk_id", "direction",
    ],
}  # fmt: skip
COLUMNS = (
    "id, venue_id, kiosk_id, seq, direction, code_kind, subject, masked_name, verified, "
    "verdict, reason, manual, source, created_ms, created_mono_ns, boot_id, clock_offset_ms, "
    "received_ms"
)
TABLE = """CREATE TABLE records (
    id VARCHAR(36) NOT NULL, venue_id VARCHAR(64) NOT NULL, kiosk_id VARCHAR(64) NOT NULL,
    seq BIGINT NOT NULL, direction VARCHAR(8) NOT NULL, code_kind VARCHAR(16) NOT NULL,
    subject VARCHAR(80), masked_name VARCHAR(100), verified BOOLEAN NOT NULL,
    verdict VARCHAR(4) NOT NULL, reason VARCHAR(32), manual BOOLEAN NOT NULL,
    source VARCHAR(16) DEFAULT 'camera' NOT NULL, created_ms BIGINT NOT NULL,
    created_mono_ns BIGINT NOT NULL, boot_id VARCHAR(64) NOT NULL, clock_offset_ms BIGINT,
    received_ms BIGINT NOT NULL{extra}
){partitioned}"""


def _rename_old() -> None:
    op.execute("ALTER TABLE records RENAME TO records_old")
    # Named records_new_pkey since 0003 rebuilt the table under another name.
    pkey = op.get_bind().scalar(
        sa.text(
            "SELECT conname FROM pg_constraint "
            "WHERE conrelid = 'records_old'::regclass AND contype = 'p'"
        )
    )
    op.execute(f'ALTER TABLE records_old RENAME CONSTRAINT "{pkey}" TO records_old_pkey')
    for name in INDEXES:
        op.execute(f"ALTER INDEX {name} RENAME TO {name}_old")


def _indexes() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "records", columns)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        # SQLite: one table, as before; the column only, from the kiosk's time as stored.
        op.add_column("records", sa.Column("kiosk_ms", sa.BigInteger))
        op.execute("UPDATE records SET kiosk_ms = created_ms - coalesce(clock_offset_ms, 0)")
        return
    _rename_old()
    op.execute(
        TABLE.format(
            extra=",\n    kiosk_ms BIGINT NOT NULL,\n"
            "    CONSTRAINT records_pkey PRIMARY KEY (id, venue_id, kiosk_id, kiosk_ms)",
            partitioned=" PARTITION BY RANGE (kiosk_ms)",
        )
    )
    op.execute("CREATE TABLE records_default PARTITION OF records DEFAULT")
    bind = op.get_bind()
    days = bind.execute(
        sa.text(
            "SELECT DISTINCT (created_ms - coalesce(clock_offset_ms, 0)) / :day FROM records_old"
        ),
        {"day": DAY_MS},
    ).scalars()
    ensure_partitions(bind, wanted_days(int(time.time() * 1000), set(days)))
    op.execute(
        f"INSERT INTO records ({COLUMNS}, kiosk_ms) SELECT {COLUMNS}, "  # noqa: S608
        "created_ms - coalesce(clock_offset_ms, 0) FROM records_old"
    )
    op.execute("DROP TABLE records_old")
    # Made on the partitioned table: every partition, made now or later, gets its own.
    _indexes()


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.drop_column("records", "kiosk_ms")
        return
    _rename_old()
    op.execute(
        TABLE.format(
            extra=",\n    CONSTRAINT records_pkey PRIMARY KEY (id, venue_id, kiosk_id)",
            partitioned="",
        )
    )
    # One record sent twice with two kiosk times was two records; the first one stays.
    op.execute(
        f"INSERT INTO records ({COLUMNS}) SELECT {COLUMNS} FROM records_old "  # noqa: S608
        "ORDER BY kiosk_ms ON CONFLICT DO NOTHING"
    )
    op.execute("DROP TABLE records_old")
    _indexes()
