"""Gap-free document numbers per unit, year and kind, e.g. 泰岱市监知立〔2026〕7号.

The counter row is created or incremented with a single INSERT … ON CONFLICT DO UPDATE …
RETURNING inside the caller's transaction: concurrent openers queue on the row lock
(PostgreSQL) or the write lock (SQLite), and a rolled-back case gives its number back.
"""
from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.models import NumberCounter, Unit

INSERTS = {"postgresql": pg_insert, "sqlite": sqlite_insert}


def format_number(unit: Unit, kind: str, year: int, seq: int) -> str:
    return f"{unit.number_prefix}知{kind}〔{year}〕{seq}号"


def next_number(session: Session, unit: Unit, year: int, kind: str) -> str:
    insert = INSERTS[session.get_bind().dialect.name]
    seq = session.scalar(
        insert(NumberCounter).values(unit_id=unit.id, year=year, kind=kind, last=1)
        .on_conflict_do_update(index_elements=["unit_id", "year", "kind"],
                               set_={"last": NumberCounter.last + 1})
        .returning(NumberCounter.last)
    )
    return format_number(unit, kind, year, seq)
