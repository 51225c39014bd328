"""One-time codes to the phone on file, the other proof that a declaration is its holder's.

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "proof_codes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id_hash", sa.String(80), nullable=False),
        sa.Column("pass_id", sa.String(32), nullable=False),
        sa.Column("code_hash", sa.String(80), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("expires_ms", sa.BigInteger, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("used_ms", sa.BigInteger),
    )
    op.create_index("ix_proof_codes_id_hash", "proof_codes", ["id_hash"])
    op.create_index("ix_proof_codes_pass_id", "proof_codes", ["pass_id"])
    op.create_index("ix_proof_codes_expires_ms", "proof_codes", ["expires_ms"])


def downgrade() -> None:
    op.drop_table("proof_codes")
