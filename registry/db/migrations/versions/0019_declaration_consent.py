"""A declaration's consent evidence: the version of the text the person ticked, and when.

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: declarations made before consent was asked have none (they expire in days).
    with op.batch_alter_table("declarations") as t:
        t.add_column(sa.Column("consent_version", sa.String(16), nullable=True))
        t.add_column(sa.Column("consent_ms", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("declarations") as t:
        t.drop_column("consent_ms")
        t.drop_column("consent_version")
