"""Records counted per district and local day, from the day counts already there.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

KEY = ["day", "timezone", "province", "district", "direction", "verdict"]


def upgrade() -> None:
    op.create_table(
        "area_days",
        sa.Column("day", sa.String(10)),
        sa.Column("timezone", sa.String(64)),
        sa.Column("province", sa.String(100)),
        sa.Column("district", sa.String(100)),
        sa.Column("direction", sa.String(8)),
        sa.Column("verdict", sa.String(4)),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint(*KEY),
    )
    op.execute(
        "INSERT INTO area_days (day, timezone, province, district, direction, verdict, count) "
        "SELECT d.day, v.timezone, v.province, v.district, d.direction, d.verdict, "
        "sum(d.count) FROM record_days d JOIN venues v ON v.id = d.venue_id "
        "GROUP BY d.day, v.timezone, v.province, v.district, d.direction, d.verdict"
    )


def downgrade() -> None:
    op.drop_table("area_days")
