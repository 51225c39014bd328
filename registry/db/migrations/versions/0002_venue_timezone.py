"""Venues have a time zone: "today" on the live view starts at the venue's midnight.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("venues") as batch:
        batch.add_column(
            sa.Column("timezone", sa.String(64), nullable=False, server_default="Asia/Ho_Chi_Minh")
        )


def downgrade() -> None:
    with op.batch_alter_table("venues") as batch:
        batch.drop_column("timezone")
