"""Records unique per kiosk; every deny entry expires; passes know their declarer's ID hash.

Deny entries by ID hash made by anonymous declarations are removed: only a health officer
may bar an ID number now.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ms = sa.BigInteger


def _records_table(name: str, primary_key: tuple[str, ...]) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("venue_id", sa.String(64), nullable=False),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("seq", ms, nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("code_kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(80)),
        sa.Column("masked_name", sa.String(100)),
        sa.Column("verified", sa.Boolean, nullable=False),
        sa.Column("verdict", sa.String(4), nullable=False),
        sa.Column("reason", sa.String(32)),
        sa.Column("manual", sa.Boolean, nullable=False),
        sa.Column("created_ms", ms, nullable=False),
        sa.Column("created_mono_ns", ms, nullable=False),
        sa.Column("boot_id", sa.String(64), nullable=False),
        sa.Column("clock_offset_ms", ms),
        sa.Column("received_ms", ms, nullable=False),
        sa.PrimaryKeyConstraint(*primary_key),
    )


def _rebuild_records(primary_key: tuple[str, ...]) -> None:
    # A new table copied over: SQLite cannot change a primary key in place, and one way on
    # both databases is one way to test.
    _records_table("records_new", primary_key)
    op.execute(f"INSERT INTO records_new SELECT {_COLUMNS} FROM records")  # noqa: S608 (constant)
    op.drop_table("records")
    op.rename_table("records_new", "records")
    op.create_index("records_created", "records", ["created_ms"])
    op.create_index("records_venue_created", "records", ["venue_id", "created_ms"])
    op.create_index("records_subject_created", "records", ["subject", "created_ms"])


_COLUMNS = (
    "id, venue_id, kiosk_id, seq, direction, code_kind, subject, masked_name, verified, "
    "verdict, reason, manual, created_ms, created_mono_ns, boot_id, clock_offset_ms, received_ms"
)


def upgrade() -> None:
    _rebuild_records(("id", "venue_id", "kiosk_id"))
    op.execute("DELETE FROM deny_entries WHERE subject LIKE 'idh:%'")
    # Entries without an end get 14 days (ms) from when they were made.
    op.execute(
        "UPDATE deny_entries SET expires_ms = created_ms + 1209600000 WHERE expires_ms IS NULL"
    )
    op.execute("UPDATE list_versions SET version = version + 1 WHERE name = 'deny-list'")
    with op.batch_alter_table("deny_entries") as batch:
        batch.alter_column("expires_ms", existing_type=ms, nullable=False)
        batch.add_column(sa.Column("created_by", sa.String(100)))
        batch.create_index("ix_deny_entries_expires_ms", ["expires_ms"])
    with op.batch_alter_table("issued_passes") as batch:
        batch.add_column(sa.Column("id_hash", sa.String(80)))
        batch.create_index("ix_issued_passes_id_hash", ["id_hash"])
        batch.create_index("ix_issued_passes_valid_until_ms", ["valid_until_ms"])


def downgrade() -> None:
    with op.batch_alter_table("issued_passes") as batch:
        batch.drop_index("ix_issued_passes_valid_until_ms")
        batch.drop_index("ix_issued_passes_id_hash")
        batch.drop_column("id_hash")
    with op.batch_alter_table("deny_entries") as batch:
        batch.drop_index("ix_deny_entries_expires_ms")
        batch.drop_column("created_by")
        batch.alter_column("expires_ms", existing_type=ms, nullable=True)
    # Records of the same id from two kiosks cannot both stay: the first one does.
    op.execute(
        "DELETE FROM records WHERE EXISTS (SELECT 1 FROM records r2 WHERE r2.id = records.id"
        " AND (r2.venue_id, r2.kiosk_id) < (records.venue_id, records.kiosk_id))"
    )
    _rebuild_records(("id",))
