"""Writes of single rows that skip the ORM's unit of work, keeping the session's objects in step.

A workflow step writes a few columns of rows it already holds (its task, instance and
case) and inserts its new task rows. Through the unit of work that bookkeeping costs more
than the statements themselves; here Core statements, built once, write them and the
objects take the written values as their loaded state, so later reads and flushes in the
transaction see what was written. Each write comes as a `Write` (`RowUpdate.bound`,
`inserting`) plus the step that applies its outcome to the object (`RowUpdate.took`,
`adopt`), so that several can go to the database together (engine/store/together.py,
whose `Batch` sends them and applies the outcomes).
"""
from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import Table, bindparam, inspect, insert, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value


class Write(NamedTuple):
    """An INSERT or UPDATE … RETURNING id, built once, and its parameters for one row.

    Bind names start with the statement's own prefix, so that the writes of one batch can be
    sent as one statement."""
    statement: Any
    params: dict[str, Any]


class RowUpdate:
    """UPDATE `table` SET `columns` WHERE id = :id [AND each of `guards` equals its value]."""

    def __init__(self, table: Table, columns: tuple[str, ...], guards: tuple[str, ...] = (), name: str = ""):
        self.table = table
        self.columns = columns
        self.guards = guards
        self.name = name or table.name  # two of one table written together need two names
        self._statements: dict[int, Any] = {}

    def _prefix(self, slot: int) -> str:
        return f"{self.name}{slot or ''}_"

    def _statement(self, slot: int):
        statement = self._statements.get(slot)
        if statement is None:
            table, prefix = self.table, self._prefix(slot)
            where = [table.c.id == bindparam(prefix + "k_id")]
            where += [table.c[g] == bindparam(f"{prefix}k_{g}") for g in self.guards]
            statement = self._statements[slot] = (
                update(table).where(*where).values({c: bindparam(f"{prefix}v_{c}") for c in self.columns})
                .returning(table.c.id))
        return statement

    def bound(self, obj: Any, values: dict[str, Any], slot: int = 0, **guards: Any) -> Write:
        """The UPDATE of `obj`'s row to `values` (every column of this statement): it returns
        the row's id, or nothing if the guards did not match. Rows written together with
        one RowUpdate each need their own `slot` (0, 1, …)."""
        prefix = self._prefix(slot)
        params = {f"{prefix}v_{c}": values[c] for c in self.columns}
        params[prefix + "k_id"] = obj.id
        params.update((f"{prefix}k_{g}", guards[g]) for g in self.guards)
        return Write(self._statement(slot), params)

    @staticmethod
    def took(obj: Any, values: dict[str, Any]) -> None:
        """`obj` holds `values` as written (no change left to flush)."""
        for column, value in values.items():
            set_committed_value(obj, column, value)


_INSERTS: dict[tuple[Table, int], Any] = {}


def inserting(obj: Any, slot: int = 0) -> Write:
    """The INSERT of a new object's row, returning its id; fills in the Python-side defaults
    the unit of work would have on `obj`. Rows of one table written together each need their
    own `slot` (0, 1, …)."""
    mapper = inspect(type(obj))
    table = mapper.local_table
    prefix = f"{table.name}{slot}_"
    statement = _INSERTS.get((table, slot))
    if statement is None:
        statement = _INSERTS[table, slot] = insert(table).values(
            {c.key: bindparam(prefix + c.key) for c in table.columns if not c.primary_key}).returning(table.c.id)
    params = {}
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if column.primary_key:
            continue
        value = obj.__dict__.get(prop.key)
        if value is None and column.default is not None:  # what the unit of work would have filled in
            value = column.default.arg(None) if column.default.is_callable else column.default.arg
            setattr(obj, prop.key, value)
        elif prop.key not in obj.__dict__:
            setattr(obj, prop.key, None)  # else it would count as expired and reload on first read
        params[prefix + column.key] = value
    return Write(statement, params)


def adopt(session: Session, obj: Any, row_id: int) -> None:
    """Add `obj`, whose row was inserted with id `row_id`, to the session as if it had been
    loaded: later changes to it flush as UPDATEs."""
    obj.id = row_id
    make_transient_to_detached(obj)
    session.add(obj)
