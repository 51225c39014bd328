"""Self check-ins counted apart from the doors, one state per pass and venue; venues opt in.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("venues") as batch:
        batch.add_column(
            sa.Column("phone_occupancy", sa.Boolean, nullable=False, server_default=sa.false())
        )
    op.create_table(
        "self_checkins",
        sa.Column("venue_id", sa.String(64), sa.ForeignKey("venues.id")),
        sa.Column("pass_id", sa.String(32)),
        sa.Column("inside", sa.Boolean, nullable=False),
        sa.Column("admitted", sa.Boolean, nullable=False),
        sa.Column("entered_ms", sa.BigInteger, nullable=False),
        sa.Column("left_ms", sa.BigInteger),
        sa.PrimaryKeyConstraint("venue_id", "pass_id"),
    )
    op.create_index("ix_self_checkins_entered_ms", "self_checkins", ["entered_ms"])
    # Self check-ins counted in the doors' day counts until now stay there (they cannot be
    # told apart in a count); from here on they are counted apart.


def downgrade() -> None:
    op.drop_index("ix_self_checkins_entered_ms", "self_checkins")
    op.drop_table("self_checkins")
    with op.batch_alter_table("venues") as batch:
        batch.drop_column("phone_occupancy")
