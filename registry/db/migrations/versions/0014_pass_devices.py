"""Each declared pass remembers the hash of its device's secret: the proof of its holder.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Passes issued before this have no device: nobody can prove to hold them, so no
    # declaration supersedes them; they stay valid until they expire.
    with op.batch_alter_table("issued_passes") as batch:
        batch.add_column(sa.Column("device_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("issued_passes") as batch:
        batch.drop_column("device_hash")
