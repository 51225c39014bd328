"""Browser sessions, apart from API tokens: expiring, revocable, with a CSRF token each.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("secret_hash", sa.String(64), primary_key=True),
        sa.Column("principal_id", sa.Integer, sa.ForeignKey("principals.id"), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("expires_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_web_sessions_principal_id", "web_sessions", ["principal_id"])
    op.create_index("ix_web_sessions_expires_ms", "web_sessions", ["expires_ms"])


def downgrade() -> None:
    op.drop_table("web_sessions")
