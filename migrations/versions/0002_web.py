"""Web: login attempts for rate limiting, and human_tasks indexes for the inbox's sorts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 06:30:00

Additive only: a new table and new indexes; the previous release ignores both.
"""
from alembic import op
import sqlalchemy as sa

import engine.models.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TASK_INDEXES = {
    "ix_human_tasks_my_created": ["state", "assignee_id", "created_at"],
    "ix_human_tasks_group_created": ["state", "unit_id", "role", "created_at"],
    "ix_human_tasks_my_priority": ["state", "assignee_id", "priority"],
    "ix_human_tasks_group_priority": ["state", "unit_id", "role", "priority"],
    "ix_human_tasks_completed_by": ["completed_by_id", "case_id"],
}


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", engine.models.base.TZDateTime(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    op.create_index("ix_login_attempts_username_at", "login_attempts", ["username", "at"], unique=False)
    op.create_index("ix_login_attempts_ip_at", "login_attempts", ["ip", "at"], unique=False)
    op.create_index("ix_login_attempts_at", "login_attempts", ["at"], unique=False)
    for name, columns in TASK_INDEXES.items():
        op.create_index(name, "human_tasks", columns, unique=False)


def downgrade() -> None:
    for name in TASK_INDEXES:
        op.drop_index(name, table_name="human_tasks")
    op.drop_index("ix_login_attempts_at", table_name="login_attempts")
    op.drop_index("ix_login_attempts_ip_at", table_name="login_attempts")
    op.drop_index("ix_login_attempts_username_at", table_name="login_attempts")
    op.drop_table("login_attempts")
