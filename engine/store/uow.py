"""The unit of work: one service call, one transaction."""
from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from engine.errors import DomainError
from engine.store import read_only
from engine.store.together import send_held


class UnitOfWork:
    """Owns a session for the duration of a `with` block; leaving it without commit undoes
    what the block wrote. A transaction that wrote nothing, left normally or by a user's
    mistake (a `DomainError`), ends with COMMIT instead, which keeps the connection's prepared
    statements (engine/store/read_only.py)."""

    def __init__(self, session_factory: sessionmaker[Session]):
        self._factory = session_factory
        self.session: Session

    def __enter__(self) -> "UnitOfWork":
        self.session = self._factory()
        return self

    def __exit__(self, exc_type, exc, _tb) -> None:
        try:
            if (exc is None or isinstance(exc, DomainError)) and read_only.wrote_nothing(self.session):
                self.session.commit()
        finally:
            self.session.rollback()
            self.session.close()

    def commit(self) -> None:
        send_held(self.session)  # writes held back for a batch that never came
        self.session.commit()
