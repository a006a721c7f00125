"""IP types as bits on cases and task rows, and a group inbox index per type.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 21:00:00

The inbox's IP type filter asked `EXISTS` in `ip_rights` for every task row it walked in
due-date order, until it had a page: cheap per row, but a type that is rare in a unit's
group means walking the whole group (bench/inbox.py: `group_ip_type`). Now each case keeps
the types of its rights as bits (`cases.ip_types`; rights are given when a case opens) and
each task row copies them when it is created, and a partial index per type holds the
group's unclaimed open tasks of that type in due-date order: a filtered page is one index
range. A case may hold rights of several types, hence bits rather than one type column.

The bits are fixed here (the models' `IP_TYPE_BITS` must keep them): patent 1, trademark 2,
copyright 4, trade secret 8, geographic indication 16.
"""
from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BITS = {"patent": 1, "trademark": 2, "copyright": 4, "trade_secret": 8, "geographic_indication": 16}
UNCLAIMED = "state = 'open' AND assignee_id IS NULL"

# Distinct bits summed are the bits ORed (SQLite has no bitwise aggregate).
CASE_BITS = ("SELECT coalesce(sum(DISTINCT CASE ip_type "
             + " ".join(f"WHEN '{name}' THEN {bit}" for name, bit in BITS.items())
             + " ELSE 0 END), 0) FROM ip_rights WHERE ip_rights.case_id = cases.id")


def upgrade() -> None:
    for table in ("cases", "human_tasks"):
        op.add_column(table, sa.Column("ip_types", sa.Integer(), server_default=sa.text("0"), nullable=False))
    op.execute(f"UPDATE cases SET ip_types = ({CASE_BITS}) WHERE EXISTS (SELECT 1 FROM ip_rights "
               "WHERE ip_rights.case_id = cases.id)")
    op.execute("UPDATE human_tasks SET ip_types = (SELECT cases.ip_types FROM cases WHERE cases.id = "
               "human_tasks.case_id) WHERE case_id IN (SELECT id FROM cases WHERE ip_types <> 0)")
    for name, bit in BITS.items():
        predicate = sa.text(f"{UNCLAIMED} AND (ip_types & {bit}) <> 0")
        op.create_index(f"ix_human_tasks_group_due_{name}", "human_tasks", ["unit_id", "role", "due_at", "id"],
                        unique=False, postgresql_where=predicate, sqlite_where=predicate)


def downgrade() -> None:
    for name in BITS:
        op.drop_index(f"ix_human_tasks_group_due_{name}", table_name="human_tasks")
    for table in ("human_tasks", "cases"):
        op.drop_column(table, "ip_types")
