"""Counting what SQL the engine sends, for tests that bound it."""
from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def statements(ctx):
    """The SQL verbs (SELECT, INSERT, …) the engine sends while the block runs."""
    sent = []
    listener = lambda conn, cur, stmt, *a: sent.append(stmt.split()[0].upper())  # noqa: E731
    event.listen(ctx.db, "before_cursor_execute", listener)
    try:
        yield sent
    finally:
        event.remove(ctx.db, "before_cursor_execute", listener)
