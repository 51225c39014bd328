"""Deny entries by ID number keep the number sealed to the registry (for per-version scrypt keys).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Entries made before have no sealed number: they still bar the ID's passes at the
    # registry, but reach no kiosk as an ID entry until an officer enters the number again.
    op.add_column("deny_entries", sa.Column("sealed_id", sa.String(80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deny_entries") as batch:
        batch.drop_column("sealed_id")
