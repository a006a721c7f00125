"""Shared fixtures: a migrated database per test (SQLite or PostgreSQL), a frozen clock,
the Tai'an org seeded, workflows deployed.

DATABASE_URL selects the database. SQLite: each test gets a copy of a migrated template
file. PostgreSQL: the session works in a fresh schema, dropped at the end; each test
starts from truncated tables.
"""
from __future__ import annotations

import os
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text

from engine import migrate
from engine.clocks.clock import FrozenClock
from engine.context import build_context
from engine.models import Base
from engine.services import definitions, org
from engine.services.deploy import deploy_all
from engine.settings import Settings
from engine.store.db import make_engine

T0 = datetime(2026, 3, 2, 1, 30, tzinfo=timezone.utc)  # Monday 09:30 in Tai'an
PASSWORD = "test-password"
# Cheap parameters: tests hash once per session, not per user.
PASSWORD_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


def _is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    """A migrated, empty database for the session; yields (url, schema, template_path)."""
    url = os.environ.get("DATABASE_URL")
    if url and _is_postgres(url):
        schema = f"t_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        db = make_engine(url, schema)
        migrate.upgrade(db)
        db.dispose()
        yield url, schema, None
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    else:
        template = tmp_path_factory.mktemp("db") / "template.db"
        db = make_engine(f"sqlite:///{template}")
        migrate.upgrade(db)
        db.dispose()
        yield None, None, template


@pytest.fixture
def db_url(database, tmp_path):
    """A clean database for one test."""
    url, schema, template = database
    # Definition ids restart with every test's database: forget the id -> (process, hash) cache.
    definitions._IDENTITY.clear()
    if template is not None:
        path = tmp_path / "test.db"
        shutil.copy(template, path)
        yield f"sqlite:///{path}", None
        return
    db = make_engine(url, schema)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.dispose()
    yield url, schema


@pytest.fixture
def clock():
    return FrozenClock(T0)


@pytest.fixture
def bare_ctx(db_url, clock, tmp_path):
    """A context on an empty, migrated database (uploads in the test's own directory)."""
    url, schema = db_url
    ctx = build_context(Settings(database_url=url, database_schema=schema, upload_dir=tmp_path / "uploads"),
                        clock=clock)
    yield ctx
    ctx.db.dispose()


@pytest.fixture
def ctx(bare_ctx, clock):
    """A context with the Tai'an units and users seeded and the workflows deployed."""
    with bare_ctx.uow() as uow:
        units = org.seed_units(uow.session)
        org.seed_users(uow.session, units, PASSWORD_HASH, clock.now())
        uow.commit()
    deploy_all(bare_ctx)
    return bare_ctx


def pytest_collection_modifyitems(config, items):
    """Tests of PostgreSQL-only features run in the PostgreSQL pass (both passes run in CI)."""
    if _is_postgres(os.environ.get("DATABASE_URL") or ""):
        return
    elsewhere = [item for item in items if item.get_closest_marker("postgresql_only")]
    if elsewhere:
        config.hook.pytest_deselected(items=elsewhere)
        items[:] = [item for item in items if item not in elsewhere]


def pytest_report_header(config):
    return f"database: {os.environ.get('DATABASE_URL') or 'sqlite (per-test file)'}"
