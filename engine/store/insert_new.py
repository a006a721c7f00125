"""INSERT rows that may exist already, in one statement sent for all of them: those whose
unique key is taken are skipped by the database (ON CONFLICT DO NOTHING), not looked up first.

No RETURNING: psycopg then sends the one small statement pipelined for every row. With
RETURNING, SQLAlchemy sends multi-row VALUES statements instead, and psycopg's parsing of a
statement with thousands of placeholders made a 2,000-row INSERT several times slower.
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

_DIALECT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_STATEMENTS: dict[tuple, object] = {}


def insert_new(session: Session, table: Table, rows: list[dict], key: Iterable[str]) -> None:
    """INSERT `rows` into `table`, skipping each whose `key` columns (a unique constraint)
    match an existing row."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    cache_key = (dialect, table, tuple(key))
    statement = _STATEMENTS.get(cache_key)
    if statement is None:
        statement = _STATEMENTS[cache_key] = (_DIALECT_INSERTS[dialect](table)
                                              .on_conflict_do_nothing(index_elements=[table.c[k] for k in key]))
    session.execute(statement, rows)
