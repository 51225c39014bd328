"""Sign-in limits in the database (shared by workers) and the browsers known to an account.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_limits",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("window_ms", sa.BigInteger, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
    )
    op.create_index("ix_login_limits_window_ms", "login_limits", ["window_ms"])
    op.create_table(
        "signin_devices",
        sa.Column("secret_hash", sa.String(64), primary_key=True),
        sa.Column("principal_id", sa.Integer, sa.ForeignKey("principals.id"), nullable=False),
        sa.Column("expires_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_signin_devices_principal_id", "signin_devices", ["principal_id"])
    op.create_index("ix_signin_devices_expires_ms", "signin_devices", ["expires_ms"])


def downgrade() -> None:
    op.drop_table("signin_devices")
    op.drop_table("login_limits")
