"""Whether a transaction wrote anything, so that one that did not can end with COMMIT.

For a transaction that wrote nothing COMMIT and ROLLBACK are the same, except to psycopg:
on every ROLLBACK it forgets its connection's prepared statements and deallocates them on
the server (psycopg/_preparing.py). A page view, which reads and never commits, then made
the next step on that pooled connection parse and plan each of its statements again, about
2 ms of PostgreSQL CPU per step (bench/README.md). The unit of work (engine/store/uow.py)
commits a transaction it leaves without commit when it `wrote_nothing`.

A statement counts as a write unless it starts with SELECT or BEGIN (SQLite's BEGIN
IMMEDIATE): INSERT, UPDATE, DELETE, a WITH of data-modifying CTEs (engine/store/together.py),
DDL and anything else.
"""
from __future__ import annotations

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from engine.store import together

_WROTE = "read_only.wrote"  # Connection.info key, reset when a transaction begins
_READS = ("SELECT", "BEGIN")


def install(engine: Engine) -> None:
    """Track, per transaction on `engine`'s connections, whether any statement may have written."""

    @event.listens_for(engine, "begin")
    def _began(conn) -> None:
        conn.info[_WROTE] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _executing(conn, _cursor, statement: str, *_args) -> None:
        if not conn.info.get(_WROTE) and not statement.lstrip()[:6].upper().startswith(_READS):
            conn.info[_WROTE] = True


def wrote_nothing(session: Session) -> bool:
    """Whether the session has a transaction that has written no row and holds no change it
    has not sent yet."""
    if not session.in_transaction():
        return False
    if session.new or session.dirty or session.deleted or together.holds(session):
        return False
    return not session.connection().info.get(_WROTE, True)
