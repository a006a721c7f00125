"""Work to do once a session's transaction has committed, forgotten if it rolls back."""
from __future__ import annotations

from typing import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

_KEY = "after_commit"


def add(session: Session, fn: Callable[[], None]) -> None:
    session.info.setdefault(_KEY, []).append(fn)


def install(factory: sessionmaker[Session]) -> None:
    """Run the registered work of every session `factory` makes, in order, after it commits."""
    event.listen(factory, "after_commit", _run)
    event.listen(factory, "after_rollback", _forget)


def _run(session: Session) -> None:
    for fn in session.info.pop(_KEY, ()):
        fn()


def _forget(session: Session) -> None:
    session.info.pop(_KEY, None)
