"""Run Alembic migrations from code (the CLI and the tests use this)."""
from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from engine.settings import PROJECT_ROOT


def alembic_config(db: Engine | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return config


def _with_connection(db: Engine, fn, *args) -> None:
    config = alembic_config()
    with db.begin() as conn:
        config.attributes["connection"] = conn
        fn(config, *args)


def upgrade(db: Engine, revision: str = "heads") -> None:
    _with_connection(db, command.upgrade, revision)


def downgrade(db: Engine, revision: str = "base") -> None:
    _with_connection(db, command.downgrade, revision)
