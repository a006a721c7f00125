"""Prebuilt UPDATEs of rows the caller has loaded, keeping the session's objects in step.

A workflow step writes a few columns of rows it already holds (its task, instance and
case). Through the ORM's unit of work that bookkeeping costs more than the statements
themselves; here a prebuilt Core UPDATE writes them and the values become the objects'
committed state, so later reads and flushes in the transaction see what was written.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session
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
