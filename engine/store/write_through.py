"""Writes of single rows that skip the ORM's unit of work, keeping the session's objects in step.

A workflow step writes a few columns of rows it already holds (its task, instance and
case) and inserts its new task rows. Through the unit of work that bookkeeping costs more
than the statements themselves; here Core statements write them and the objects take the
written values as their loaded state, so later reads and flushes in the transaction see
what was written.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, inspect, insert, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value


class RowUpdate:
    """UPDATE `table` SET `columns` WHERE id = :id [AND each of `guards` equals its value]."""

    def __init__(self, table: Table, columns: tuple[str, ...], guards: tuple[str, ...] = ()):
        self.columns = columns
        where = [table.c.id == bindparam("k_id")] + [table.c[g] == bindparam(f"k_{g}") for g in guards]
        # Bind names differ from column names: SQLAlchemy reserves those for its own SET binds.
        self.statement = update(table).where(*where).values({c: bindparam(f"v_{c}") for c in columns})

    def run(self, session: Session, obj: Any, values: dict[str, Any], **guards: Any) -> bool:
        """Write `values` (every column of this statement) to `obj`'s row; False if the guards
        did not match (nothing written, `obj` untouched)."""
        params = {f"v_{c}": values[c] for c in self.columns}
        params["k_id"] = obj.id
        params.update((f"k_{g}", v) for g, v in guards.items())
        if session.execute(self.statement, params).rowcount != 1:
            return False
        for column, value in values.items():
            set_committed_value(obj, column, value)
        return True


_INSERTS: dict[Table, object] = {}


def insert_now(session: Session, obj: Any) -> None:
    """INSERT a new object's row at once (its id from RETURNING) and add the object to the
    session as if it had been loaded: later changes to it flush as UPDATEs."""
    mapper = inspect(type(obj))
    table = mapper.local_table
    statement = _INSERTS.get(table)
    if statement is None:
        statement = _INSERTS[table] = insert(table).returning(table.c.id)
    values = {}
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
        values[column.key] = value
    obj.id = session.execute(statement, values).scalar_one()
    make_transient_to_detached(obj)
    session.add(obj)
