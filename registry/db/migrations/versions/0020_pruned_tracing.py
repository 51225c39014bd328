"""Tracing pruned to its days: the kiosk's time in the covering indexes, and the skewed days.

Revision ID: 0020
Revises: 0019

PostgreSQL keeps records in one partition per kiosk day, while tracing and the live view ask
for registry times (created_ms). Each query now also bounds kiosk_ms (registry.db.pruning):
within the routed offset of the times asked for, or on a kiosk day `skewed_days` lists for
records from kiosks further off. This fills `skewed_days` from the records already there
(one scan), with the default routed offset, which `routed_offset` holds.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

VENUE = ["venue_id", "created_ms", "verdict", "subject", "masked_name"]
SUBJECT = ["subject", "created_ms", "verdict", "venue_id", "kiosk_id", "direction"]
# registry.settings.Settings.routed_offset_ms's default: what every record so far was left
# to the day partitions with.
ROUTED_OFFSET_MS = 15 * 60 * 1000


def _indexes(extra: list[str]) -> None:
    op.drop_index("records_venue_trace", "records")
    op.drop_index("records_subject_trace", "records")
    op.create_index("records_venue_trace", "records", VENUE + extra)
    op.create_index("records_subject_trace", "records", SUBJECT + extra)


def upgrade() -> None:
    op.create_table(
        "skewed_days",
        sa.Column("created_day", sa.Integer, primary_key=True),
        sa.Column("kiosk_day", sa.Integer, primary_key=True),
    )
    op.create_table(
        "routed_offset",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("offset_ms", sa.BigInteger, nullable=False),
    )
    op.execute(f"INSERT INTO routed_offset (id, offset_ms) VALUES (1, {ROUTED_OFFSET_MS})")  # noqa: S608 (a constant)
    if op.get_bind().dialect.name == "postgresql":
        # Only PostgreSQL bounds kiosk_ms (SQLite has one table: a bound would only cost).
        op.execute(
            sa.text(
                "INSERT INTO skewed_days (created_day, kiosk_day) SELECT DISTINCT "
                "floor(created_ms / 86400000.0)::int, floor(kiosk_ms / 86400000.0)::int "
                "FROM records WHERE abs(coalesce(clock_offset_ms, 0)) > :routed"
            ).bindparams(routed=ROUTED_OFFSET_MS)
        )
    _indexes(["kiosk_ms"])


def downgrade() -> None:
    _indexes([])
    op.drop_table("routed_offset")
    op.drop_table("skewed_days")
