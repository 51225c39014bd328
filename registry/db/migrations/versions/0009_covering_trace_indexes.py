"""Covering indexes for tracing: a subject's visits and each venue's records around them.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

VENUE = ["venue_id", "created_ms", "verdict", "subject", "masked_name"]
SUBJECT = ["subject", "created_ms", "verdict", "venue_id", "kiosk_id", "direction"]


def upgrade() -> None:
    # The new ones lead with the same columns: they serve every query the old ones did.
    op.create_index("records_venue_trace", "records", VENUE)
    op.create_index("records_subject_trace", "records", SUBJECT)
    op.drop_index("records_venue_created", "records")
    op.drop_index("records_subject_created", "records")


def downgrade() -> None:
    op.create_index("records_venue_created", "records", ["venue_id", "created_ms"])
    op.create_index("records_subject_created", "records", ["subject", "created_ms"])
    op.drop_index("records_venue_trace", "records")
    op.drop_index("records_subject_trace", "records")
