"""Data subjects' requests: who recorded them, when, the deadlines, what was done.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subject_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("asked_ms", sa.BigInteger, nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("lookup", sa.String(16), nullable=False),
        sa.Column("reply_due_ms", sa.BigInteger, nullable=False),
        sa.Column("done_due_ms", sa.BigInteger, nullable=False),
        sa.Column("answered_ms", sa.BigInteger, nullable=True),
        sa.Column("outcome", sa.Text, nullable=False, server_default="{}"),
    )
    op.create_index("ix_subject_requests_asked_ms", "subject_requests", ["asked_ms"])


def downgrade() -> None:
    op.drop_table("subject_requests")
