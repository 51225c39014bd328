"""Deny entries made by anonymous declarations carry whose (a keyed hash of the address).

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Entries made before this count in the officers' share: they expire within a week.
    with op.batch_alter_table("deny_entries") as batch:
        batch.add_column(sa.Column("requested_by", sa.String(80), nullable=True))
    op.create_index("ix_deny_entries_requested_by", "deny_entries", ["requested_by"])


def downgrade() -> None:
    op.drop_index("ix_deny_entries_requested_by", "deny_entries")
    with op.batch_alter_table("deny_entries") as batch:
        batch.drop_column("requested_by")
