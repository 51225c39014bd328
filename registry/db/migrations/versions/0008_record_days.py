"""Records counted per venue, local day, direction and verdict: statistics without a scan.

Revision ID: 0008
Revises: 0007
"""

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Every time zone's offset is a whole number of quarter hours: records grouped by quarter hour
# fall on one local day each, whatever the zone.
QUARTER_MS = 15 * 60 * 1000


def upgrade() -> None:
    op.create_table(
        "record_days",
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("venue_id", sa.String(64), primary_key=True),
        sa.Column("direction", sa.String(8), primary_key=True),
        sa.Column("verdict", sa.String(4), primary_key=True),
        sa.Column("count", sa.BigInteger, nullable=False),
    )
    op.create_index("record_days_venue_day", "record_days", ["venue_id", "day"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            "INSERT INTO record_days (day, venue_id, direction, verdict, count) "
            "SELECT to_char(to_timestamp(r.created_ms / 1000.0) AT TIME ZONE "
            "coalesce(v.timezone, 'Asia/Ho_Chi_Minh'), 'YYYY-MM-DD'), r.venue_id, "
            "r.direction, r.verdict, count(*) FROM records r "
            "LEFT JOIN venues v ON v.id = r.venue_id GROUP BY 1, 2, 3, 4"
        )
        return
    # SQLite knows no time zones: counted per quarter hour by the database, dated here.
    rows = bind.execute(
        sa.text(
            "SELECT r.venue_id, coalesce(v.timezone, 'Asia/Ho_Chi_Minh'), r.direction, "
            "r.verdict, r.created_ms / :quarter, count(*) FROM records r "
            "LEFT JOIN venues v ON v.id = r.venue_id GROUP BY 1, 2, 3, 4, 5"
        ),
        {"quarter": QUARTER_MS},
    )
    counts: Counter[tuple[str, str, str, str]] = Counter()
    for venue, tz, direction, verdict, quarter, n in rows:
        day = datetime.fromtimestamp(quarter * QUARTER_MS / 1000, ZoneInfo(tz)).date()
        counts[(day.isoformat(), venue, direction, verdict)] += n
    if counts:
        bind.execute(
            sa.text(
                "INSERT INTO record_days (day, venue_id, direction, verdict, count) "
                "VALUES (:day, :venue, :direction, :verdict, :count)"
            ),
            [
                {"day": d, "venue": v, "direction": di, "verdict": ve, "count": n}
                for (d, v, di, ve), n in counts.items()
            ],
        )


def downgrade() -> None:
    op.drop_index("record_days_venue_day", "record_days")
    op.drop_table("record_days")
