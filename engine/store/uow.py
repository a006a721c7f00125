"""The unit of work: one service call, one transaction."""
from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from engine.store.together import send_held


class UnitOfWork:
    """Owns a session for the duration of a `with` block; leaving it without commit rolls back."""

    def __init__(self, session_factory: sessionmaker[Session]):
        self._factory = session_factory
        self.session: Session

    def __enter__(self) -> "UnitOfWork":
        self.session = self._factory()
        return self

    def __exit__(self, *exc) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        send_held(self.session)  # writes held back for a batch that never came
        self.session.commit()
