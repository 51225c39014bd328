"""Initial registry schema.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ms = sa.BigInteger


def upgrade() -> None:
    op.create_table(
        "venues",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("district", sa.String(100), nullable=False),
        sa.Column("province", sa.String(100), nullable=False),
        sa.Column("created_ms", ms, nullable=False),
    )
    op.create_table(
        "kiosks",
        sa.Column("venue_id", sa.String(64), sa.ForeignKey("venues.id"), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("created_ms", ms, nullable=False),
        sa.Column("last_seen_ms", ms),
        sa.Column("version", sa.String(32)),
        sa.Column("queue_depth", sa.Integer),
        sa.Column("last_decision", sa.String(32)),
        sa.Column("clock_offset_ms", ms),
        sa.Column("trust_version", sa.Integer),
        sa.Column("deny_version", sa.Integer),
    )
    op.create_table(
        "principals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("venues", sa.Text, nullable=False),
        sa.Column("kiosk_venue", sa.String(64)),
        sa.Column("kiosk_id", sa.String(64)),
        sa.Column("created_ms", ms, nullable=False),
        sa.Column("revoked_ms", ms),
    )
    op.create_table(
        "records",
        sa.Column("id", sa.String(36), primary_key=True),
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
    )
    # Retention deletes and the live view scan by time; tracing by subject and time.
    op.create_index("records_created", "records", ["created_ms"])
    op.create_index("records_venue_created", "records", ["venue_id", "created_ms"])
    op.create_index("records_subject_created", "records", ["subject", "created_ms"])
    op.create_table(
        "list_versions",
        sa.Column("name", sa.String(16), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.bulk_insert(
        sa.table("list_versions", sa.column("name", sa.String), sa.column("version", sa.Integer)),
        [{"name": "trust-list", "version": 1}, {"name": "deny-list", "version": 1}],
    )
    op.create_table(
        "deny_entries",
        sa.Column("subject", sa.String(80), primary_key=True),
        sa.Column("reason_code", sa.String(32), nullable=False),
        sa.Column("public", sa.Boolean, nullable=False),
        sa.Column("created_ms", ms, nullable=False),
        sa.Column("expires_ms", ms),
    )
    op.create_table(
        "issuer_keys",
        sa.Column("kid", sa.String(16), primary_key=True),
        sa.Column("alg", sa.String(8), nullable=False),
        sa.Column("public_pem", sa.Text, nullable=False),
        sa.Column("created_ms", ms, nullable=False),
        sa.Column("retired_ms", ms),
        sa.Column("trusted_until_ms", ms),
    )
    op.create_table(
        "issued_passes",
        sa.Column("pass_id", sa.String(32), primary_key=True),
        sa.Column("kid", sa.String(16), sa.ForeignKey("issuer_keys.kid"), nullable=False),
        sa.Column("issued_ms", ms, nullable=False),
        sa.Column("valid_until_ms", ms, nullable=False),
        sa.Column("revoked_ms", ms),
    )
    op.create_table(
        "declarations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_ms", ms, nullable=False, index=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("id_hash", sa.String(80), nullable=False, index=True),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("symptoms", sa.Boolean, nullable=False),
        sa.Column("contact", sa.Boolean, nullable=False),
        sa.Column("pass_id", sa.String(32), nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at_ms", ms, nullable=False, index=True),
        sa.Column("principal", sa.String(100), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("results", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "audit_log", "declarations", "issued_passes", "issuer_keys", "deny_entries",
        "list_versions", "records", "principals", "kiosks", "venues",
    ):  # fmt: skip
        op.drop_table(table)
