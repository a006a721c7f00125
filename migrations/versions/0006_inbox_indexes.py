"""Merge the feature branches; inbox indexes that end in the sort key and id.

Revision ID: 0006
Revises: 0002, 0003, 0004, 0005
Create Date: 2026-11-25 07:45:00

The inbox pages by keyset on (sort key, id): an index whose last columns are exactly the
ORDER BY lets the database stop after one page instead of sorting every open task of a
unit. Group inbox indexes are partial (open, unclaimed tasks only), my-inbox ones cover
open tasks only, so closed history does not grow them. bench/inbox.py measures them.
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = ("0002", "0003", "0004", "0005")
branch_labels = None
depends_on = None

OPEN = "state = 'open'"
UNCLAIMED = "state = 'open' AND assignee_id IS NULL"

NEW = {
    "ix_human_tasks_my_due": (["assignee_id", "due_at", "id"], OPEN),
    "ix_human_tasks_my_created": (["assignee_id", "created_at", "id"], OPEN),
    "ix_human_tasks_group_due": (["unit_id", "role", "due_at", "id"], UNCLAIMED),
    "ix_human_tasks_group_created": (["unit_id", "role", "created_at", "id"], UNCLAIMED),
    "ix_human_tasks_group_step": (["unit_id", "role", "bpmn_id", "due_at", "id"], UNCLAIMED),
}
OLD = {
    "ix_human_tasks_group_inbox": ["state", "unit_id", "role", "due_at"],
    "ix_human_tasks_my_inbox": ["state", "assignee_id", "due_at"],
    "ix_human_tasks_my_created": ["state", "assignee_id", "created_at"],
    "ix_human_tasks_group_created": ["state", "unit_id", "role", "created_at"],
}


def upgrade() -> None:
    for name in OLD:
        op.drop_index(name, table_name="human_tasks")
    for name, (columns, where) in NEW.items():
        op.create_index(name, "human_tasks", columns, unique=False,
                        postgresql_where=sa.text(where), sqlite_where=sa.text(where))
    op.create_index("ix_cases_opened_by_id", "cases", ["opened_by_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_cases_opened_by_id", table_name="cases")
    for name in NEW:
        op.drop_index(name, table_name="human_tasks")
    for name, columns in OLD.items():
        op.create_index(name, "human_tasks", columns, unique=False)
