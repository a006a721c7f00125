"""Inbox search and priority indexes: trigram (and for two characters, bigram) indexes for the
party and number searches, priority indexes in the sort's direction, IP rights by case and type.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 10:30:00

- Party and number filters are `LIKE '%…%'`, which a B-tree cannot serve. On PostgreSQL,
  pg_trgm GIN indexes on `parties.name`, `cases.number` and `case_numbers.number` can
  (for search text of three characters or more). SQLite has no equivalent: nothing there.
- pg_trgm cannot serve a two-character search (`%华为%` holds no trigram), and two characters
  are a common Chinese name or word. `ipcase_bigrams(text)`, an immutable SQL function giving
  a text's distinct two-character pieces, indexes `parties.name` for those: the party filter
  adds `ipcase_bigrams(name) @> ipcase_bigrams(:text)` to its LIKE for two-character text.
- The priority sort is `priority DESC, due_at, id`: the old `(state, …, priority)` indexes
  gave the order of the first key only, so every unclaimed task of the group was sorted.
  They become partial indexes like 0006's, in the sort's exact directions.
- The IP type filter probes `ip_rights` once per task row; `(case_id, ip_type)` answers
  each probe from the index alone. It replaces the `(case_id)` index it starts with.
- A search that starts from the matching parties or cases then needs their open tasks:
  `human_tasks (case_id) WHERE state = 'open'` finds them without reading closed history
  (about 20 closed rows per case in the benchmark).

pg_trgm is created once per database (in `public`, where every schema's indexes can name
its operator class) and left in place on downgrade: other schemas may use it. Since
PostgreSQL 13 it is a trusted extension, so the database owner may create it.
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OPEN = "state = 'open'"
UNCLAIMED = "state = 'open' AND assignee_id IS NULL"

BEFORE = {  # name: (table, columns, predicate of a partial index)
    "ix_human_tasks_my_priority": ("human_tasks", ["state", "assignee_id", "priority"], None),
    "ix_human_tasks_group_priority": ("human_tasks", ["state", "unit_id", "role", "priority"], None),
    "ix_ip_rights_case_id": ("ip_rights", ["case_id"], None),
}
AFTER = {
    "ix_human_tasks_my_priority": ("human_tasks", ["assignee_id", sa.text("priority DESC"), "due_at", "id"], OPEN),
    "ix_human_tasks_group_priority": (
        "human_tasks", ["unit_id", "role", sa.text("priority DESC"), "due_at", "id"], UNCLAIMED),
    "ix_ip_rights_case_type": ("ip_rights", ["case_id", "ip_type"], None),
    "ix_human_tasks_open_case": ("human_tasks", ["case_id"], OPEN),
}
TRIGRAM = {  # index name: (table, column)
    "ix_parties_name_trgm": ("parties", "name"),
    "ix_cases_number_trgm": ("cases", "number"),
    "ix_case_numbers_number_trgm": ("case_numbers", "number"),
}
BIGRAMS = """
CREATE FUNCTION ipcase_bigrams(text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr($1, i, 2)), '{}') FROM generate_series(1, char_length($1) - 1) AS i
$$"""
# Concurrent test sessions migrate their own schemas of one database at the same time.
EXTENSION_LOCK = 7_007_001


def upgrade() -> None:
    _replace(BEFORE, AFTER)
    if op.get_bind().dialect.name == "postgresql":
        schema = _trigram_schema()
        for name, (table, column) in TRIGRAM.items():
            op.execute(f'CREATE INDEX "{name}" ON "{table}" USING gin ("{column}" "{schema}".gin_trgm_ops)')
        op.execute(BIGRAMS)
        op.execute("CREATE INDEX ix_parties_name_bigrams ON parties USING gin (ipcase_bigrams(name))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_parties_name_bigrams", table_name="parties")
        op.execute("DROP FUNCTION ipcase_bigrams(text)")
        for name, (table, _column) in TRIGRAM.items():
            op.drop_index(name, table_name=table)
    _replace(AFTER, BEFORE)


def _replace(old: dict, new: dict) -> None:
    for name, (table, _columns, _where) in old.items():
        op.drop_index(name, table_name=table)
    for name, (table, columns, where) in new.items():
        predicate = sa.text(where) if where else None
        op.create_index(name, table, columns, unique=False, postgresql_where=predicate, sqlite_where=predicate)


def _trigram_schema() -> str:
    """The schema holding pg_trgm, creating the extension in `public` if the database lacks it."""
    bind = op.get_bind()
    bind.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": EXTENSION_LOCK})
    bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
    return bind.execute(sa.text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
                                " WHERE e.extname = 'pg_trgm'")).scalar_one()
