"""Drop the clock events' index on clock_id: their unique key (clock_id, kind, dedup) leads
with it and serves the same lookups.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 03:20:00

The scheduler's sweep writes an event for every clock it warns about or breaches (1,000 at
midnight in bench/deadline_sweep.py); each paid for an insert into both indexes.
"""
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_clock_events_clock_id", table_name="clock_events")


def downgrade() -> None:
    op.create_index("ix_clock_events_clock_id", "clock_events", ["clock_id"], unique=False)
