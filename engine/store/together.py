"""Independent writes of one transaction, sent in one round trip where that saves one.

A workflow step writes a handful of rows: its task, its instance, its case, the tasks it
opens, an audit event. To PostgreSQL each statement is a round trip, and on loopback a round
trip alone costs about as much as the server's work for the whole row (bench/README.md), so
`write_together` sends them as data-modifying CTEs of one SELECT. SQLite runs in the process
and has nothing to save: there they run one after the other.

Each write (engine/store/write_through.py `Write`) must be an INSERT or UPDATE returning the
row's id, write rows no other write of the batch writes, and not need another's effect:
every CTE sees the database as it was before the statement ran.

A transaction may also hold writes back (`held`) to go with its next batch: a step's
completed task and its audit event go with the rows the step writes at its end. Whatever may
read them first sends them (`send_held`): the step's operators, and the commit.
"""
from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import literal_column, select, union_all
from sqlalchemy.orm import Session

from engine.store.write_through import RowUpdate, Write, adopt, inserting

_COMBINED: dict[tuple[int, ...], object] = {}
_HELD = "together.held"  # session.info key


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


class Batch:
    """A step's row writes, collected to go together (`send`).

    An updated object takes its new values at once, so the rest of the step sees them; a new
    object's INSERT is built when sent, with the values it has by then (an update of an
    object still to be inserted is only that). `send` adds the new objects to the session.
    """

    def __init__(self) -> None:
        self._writes: list[Write] = []  # rows no object stands for (an audit event)
        self._updates: list[tuple[RowUpdate, Any, dict, dict, Exception | None]] = []
        self._inserts: list[Any] = []

    def add(self, write: Write) -> None:
        """A write of a row the session holds no object for; sent as it is."""
        self._writes.append(write)

    def update(self, row_update: RowUpdate, obj: Any, values: dict[str, Any],
               on_miss: Exception | None = None, **guards: Any) -> None:
        """Write `values` to `obj`'s row; raise `on_miss` at `send` if the guards did not match.

        A second update of the row through the same `row_update` replaces the first's values
        (PostgreSQL applies only one UPDATE of a row per statement); through another, it is
        refused."""
        if any(obj is new for new in self._inserts):
            row_update.took(obj, values)
            return
        for n, (earlier, pending, *_) in enumerate(self._updates):
            if pending is obj:
                if earlier is not row_update:
                    raise ValueError("A batch updates a row through one RowUpdate only.")
                self._updates[n] = (row_update, obj, values, self._updates[n][3], self._updates[n][4])
                row_update.took(obj, values)
                return
        row_update.took(obj, values)
        self._updates.append((row_update, obj, values, guards, on_miss))

    def insert(self, obj: Any) -> None:
        self._inserts.append(obj)

    def send(self, session: Session) -> None:
        """Send this batch's writes, after those the transaction held back (`held`)."""
        earlier = session.info.pop(_HELD, None)
        if earlier is not None and earlier is not self:
            self._writes[:0], self._updates[:0], self._inserts[:0] = (earlier._writes, earlier._updates,
                                                                      earlier._inserts)
        slots: dict[Any, int] = {}
        writes = list(self._writes)
        for row_update, obj, values, guards, _ in self._updates:
            slot = slots[row_update] = slots.get(row_update, -1) + 1
            writes.append(row_update.bound(obj, values, slot, **guards))
        for obj in self._inserts:
            table = type(obj).__table__
            slot = slots[table] = slots.get(table, -1) + 1
            writes.append(inserting(obj, slot))
        if not writes:
            return
        written = write_together(session, writes)[len(self._writes):]
        for (_, _, _, _, on_miss), ids in zip(self._updates, written):
            if not ids and on_miss is not None:
                raise on_miss
        for obj, [row_id] in zip(self._inserts, written[len(self._updates):]):
            adopt(session, obj, row_id)
        self._writes, self._updates, self._inserts = [], [], []


def held(session: Session) -> Batch:
    """The writes the transaction holds back, to go with its next `Batch.send` (see the module
    docstring); add to it as to any batch."""
    batch = session.info.get(_HELD)
    if batch is None:
        batch = session.info[_HELD] = Batch()
    return batch


def holds(session: Session) -> bool:
    """Whether the transaction holds writes back."""
    return _HELD in session.info


def send_held(session: Session) -> None:
    """Send the held writes now: before something that may read their rows, and at commit."""
    batch = session.info.pop(_HELD, None)
    if batch is not None:
        batch.send(session)
