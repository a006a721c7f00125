"""Recording what SQL the engine sends, for tests that bound it."""
from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def sql_sent(ctx):
    """Each (statement, parameters) the engine sends while the block runs."""
    sent = []
    listener = lambda conn, cur, stmt, params, *a: sent.append((stmt, params))  # noqa: E731
    event.listen(ctx.db, "before_cursor_execute", listener)
    try:
        yield sent
    finally:
        event.remove(ctx.db, "before_cursor_execute", listener)


@contextmanager
def statements(ctx):
    """The SQL verbs (SELECT, INSERT, …) the engine sent while the block ran, filled at its end."""
    verbs = []
    with sql_sent(ctx) as sent:
        yield verbs
    verbs.extend(stmt.split()[0].upper() for stmt, _ in sent)
