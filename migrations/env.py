"""Alembic environment: runs against the database engine/settings.py selects."""
from alembic import context

from engine.models import Base
from engine.settings import Settings
from engine.store.db import make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # handed in by engine.migrate (tests, CLI)
        _run(connection)
        return
    settings = Settings.from_env()
    engine = make_engine(settings.database_url, settings.database_schema)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; connect to a database")
run_migrations_online()
