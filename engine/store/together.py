"""Independent writes of one transaction, sent in one round trip where that saves one.

A workflow step writes a handful of rows: its task, its instance, its case, the tasks it
opens, an audit event. To PostgreSQL each statement is a round trip, and on loopback a round
trip alone costs about as much as the server's work for the whole row (bench/README.md), so
`write_together` sends them as data-modifying CTEs of one SELECT. SQLite runs in the process
and has nothing to save: there they run one after the other.

Each write (engine/store/write_through.py `Write`) must be an INSERT or UPDATE returning the
row's id, write rows no other write of the batch writes, and not need another's effect:
every CTE sees the database as it was before the statement ran.
"""
from __future__ import annotations

from typing import Sequence

from sqlalchemy import literal_column, select, union_all
from sqlalchemy.orm import Session

from engine.store.write_through import Write

_COMBINED: dict[tuple[int, ...], object] = {}


def write_together(session: Session, writes: Sequence[Write]) -> list[list[int]]:
    """Run `writes`; for each, the ids of the rows it wrote (none: an UPDATE matched nothing)."""
    params = {}
    for write in writes:
        params.update(write.params)
    if len(params) != sum(len(write.params) for write in writes):  # checked on SQLite too, to fail in its tests
        raise ValueError("Writes sent together need distinct bind names (a slot per row of one table).")
    if len(writes) == 1 or session.get_bind().dialect.name != "postgresql":
        return [list(session.execute(statement, params).scalars()) for statement, params in writes]
    written: list[list[int]] = [[] for _ in writes]
    for n, row_id in session.execute(_combined([write.statement for write in writes]), params).tuples():
        written[n].append(row_id)
    return written


def _combined(statements: list) -> object:
    """WITH w0 AS (…), w1 AS (…) SELECT 0, id FROM w0 UNION ALL SELECT 1, id FROM w1 …, built
    once per sequence of statements (a step's writes come in a few shapes)."""
    key = tuple(id(statement) for statement in statements)  # statements are built once and kept
    combined = _COMBINED.get(key)
    if combined is None:
        ctes = [statement.cte(f"w{n}") for n, statement in enumerate(statements)]
        combined = _COMBINED[key] = union_all(
            *[select(literal_column(str(n)).label("n"), cte.c[0]) for n, cte in enumerate(ctes)])
    return combined
