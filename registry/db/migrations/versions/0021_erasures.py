"""Erasures sent to kiosks in the deny list: digests of the records and subjects erased.

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("digest", sa.String(32), primary_key=True),
        sa.Column("request_id", sa.Integer, nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("expires_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_erasures_expires_ms", "erasures", ["expires_ms"])


def downgrade() -> None:
    op.drop_table("erasures")
