"""How each record's code was read: camera, dedicated reader (serial, hid), manual or phone.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every record uploaded before this knew only the camera.
    with op.batch_alter_table("records") as batch:
        batch.add_column(
            sa.Column("source", sa.String(16), nullable=False, server_default="camera")
        )


def downgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.drop_column("source")
