"""Declarations' name, phone and answers sealed under a key outside the database.

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # New declarations keep the masked name in `name` and the rest in `sealed`; the columns
    # in clear stay for those made before (they go with retention, in days).
    with op.batch_alter_table("declarations") as t:
        t.add_column(sa.Column("sealed", sa.Text, nullable=True))
        t.alter_column("phone", existing_type=sa.String(20), nullable=True)
        t.alter_column("symptoms", existing_type=sa.Boolean, nullable=True)
        t.alter_column("contact", existing_type=sa.Boolean, nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("declarations") as t:
        t.drop_column("sealed")
