"""The composition root: settings, database, clock and form registry, built once per process."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from engine.clocks.clock import Clock, SystemClock
from engine.forms.definitions import FormRegistry
from engine.runtime.warm_runs import WarmRuns
from engine.settings import Settings
from engine.store.db import make_engine, make_lookup_engine, make_lookup_factory, make_session_factory
from engine.store.uow import UnitOfWork


@dataclass
class Context:
    settings: Settings
    db: Engine
    session_factory: sessionmaker[Session]
    clock: Clock
    forms: FormRegistry
    runs: WarmRuns = field(default_factory=WarmRuns)
    lookup_factory: sessionmaker[Session] | None = None
    lookup_db: Engine | None = None

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)

    def lookup(self) -> UnitOfWork:
        """A unit of work for a service that reads with one statement and writes at most one
        row (each statement commits on its own on PostgreSQL: see make_lookup_factory)."""
        return UnitOfWork(self.lookup_factory or self.session_factory)

    def lookup_connection(self) -> Connection:
        """A connection for one plain read statement (no ORM objects), without a session: in
        autocommit on PostgreSQL like `lookup`; on SQLite rolled back when closed."""
        return (self.lookup_db or self.db).connect()


def build_context(settings: Settings | None = None, clock: Clock | None = None) -> Context:
    settings = settings or Settings.from_env()
    db = make_engine(settings.database_url, settings.database_schema)
    return Context(
        settings=settings,
        db=db,
        session_factory=make_session_factory(db),
        clock=clock or SystemClock(),
        forms=FormRegistry.load(settings.workflows_dir / "forms"),
        runs=WarmRuns(settings.warm_runs),
        lookup_factory=make_lookup_factory(db),
        lookup_db=make_lookup_engine(db),
    )
