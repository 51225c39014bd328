"""DCC Document Signer Certificates the registry distributes in its trust list.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # records.code_kind is a plain String(16) without a CHECK: "dcc" needs no change there.
    op.create_table(
        "dcc_signers",
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("kid", sa.String(16), nullable=False),
        sa.Column("der", sa.Text, nullable=False),
        sa.Column("country", sa.String(8)),
        sa.Column("not_after_ms", sa.BigInteger, nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_dcc_signers_kid", "dcc_signers", ["kid"])
    op.create_index("ix_dcc_signers_not_after_ms", "dcc_signers", ["not_after_ms"])


def downgrade() -> None:
    op.drop_table("dcc_signers")
