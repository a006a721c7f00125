"""Gap-free document numbers per unit, year and kind, e.g. 泰岱市监知立〔2026〕7号.

The counter row is created or incremented with a single INSERT … ON CONFLICT DO UPDATE …
RETURNING inside the caller's transaction: concurrent openers queue on the row lock
(PostgreSQL) or the write lock (SQLite), and a rolled-back case gives its number back.
The statements are plain SQL that both databases read alike, so they are compiled once.
"""
from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Integer, String, bindparam, text
from sqlalchemy.orm import Session

from engine.models import Unit

_UPSERT = """INSERT INTO number_counters (unit_id, year, kind, last) {rows}
    ON CONFLICT (unit_id, year, kind) DO UPDATE SET last = number_counters.last + 1
    RETURNING last"""
# typed binds: PostgreSQL reads a bare parameter used as two types (a column and a value) as ambiguous
_TYPES = (bindparam("unit_id", type_=Integer), bindparam("year", type_=Integer), bindparam("kind", type_=String))
_NEXT = text(_UPSERT.format(rows="VALUES (:unit_id, :year, :kind, 1)")).bindparams(*_TYPES)
# The counter moves only if the case has no number of the kind yet; the unit's prefix and
# name come with the number, so that issuing one costs a single round trip.
_NEXT_FOR_CASE = text(_UPSERT.format(rows="""SELECT :unit_id, :year, :kind, 1 WHERE NOT EXISTS (
        SELECT 1 FROM case_numbers WHERE case_id = :case_id AND kind = :kind)""")
    + ", (SELECT number_prefix FROM units WHERE id = :unit_id), (SELECT name FROM units WHERE id = :unit_id)"
).bindparams(*_TYPES, bindparam("case_id", type_=Integer))


def format_number(prefix: str, kind: str, year: int, seq: int) -> str:
    return f"{prefix}知{kind}〔{year}〕{seq}号"


def next_number(session: Session, unit: Unit, year: int, kind: str) -> str:
    seq = session.scalar(_NEXT, {"unit_id": unit.id, "year": year, "kind": kind})
    return format_number(unit.number_prefix, kind, year, seq)


class Issued(NamedTuple):
    number: str
    issued_by: str  # the unit's name


def next_number_for_case(session: Session, case_id: int, unit_id: int, year: int, kind: str) -> Issued | None:
    """The next number of `kind` in the unit for the case, or None if the case has one of that
    kind already (and no counter moved)."""
    row = session.execute(_NEXT_FOR_CASE, {"case_id": case_id, "unit_id": unit_id, "year": year,
                                           "kind": kind}).first()
    if row is None:
        return None
    seq, prefix, unit_name = row
    return Issued(format_number(prefix, kind, year, seq), unit_name)
