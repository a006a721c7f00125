"""INSERT rows that may exist already, in one statement: those whose unique key is taken are
skipped by the database (ON CONFLICT DO NOTHING), not looked up first.

A sweep that records a warning a second scheduler has just recorded, or a notice already
sent, then costs no extra query and cannot race between the look-up and the INSERT.
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

_DIALECT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_new(session: Session, table: Table, rows: list[dict], key: Iterable[str]) -> set[tuple]:
    """INSERT `rows` into `table`, skipping each whose `key` columns (a unique constraint)
    match an existing row; returns the keys of the rows inserted."""
    if not rows:
        return set()
    key = tuple(key)
    make = _DIALECT_INSERTS[session.get_bind().dialect.name]
    statement = (make(table).on_conflict_do_nothing(index_elements=[table.c[k] for k in key])
                 .returning(*(table.c[k] for k in key)))
    return set(session.execute(statement, rows).tuples())
