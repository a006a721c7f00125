"""Pooled PostgreSQL connections: pinged only after sitting idle, replaced when the server dropped them.

These run against the PostgreSQL server whatever DATABASE_URL says (the suite always has one).
"""
import os

import pytest
from sqlalchemy import text

from engine.store.db import make_engine

PG_URL = os.environ.get("DATABASE_URL", "")
if not PG_URL.startswith("postgresql"):
    PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def pings(monkeypatch):
    """A factory of engines whose pings are recorded in the list returned beside it."""
    sent: list[object] = []

    def engine(ping_after_idle_s: float):
        db = make_engine(PG_URL, ping_after_idle_s=ping_after_idle_s)
        ping = db.dialect.do_ping

        def recorded_ping(dbapi_conn):
            sent.append(dbapi_conn)
            return ping(dbapi_conn)

        monkeypatch.setattr(db.dialect, "do_ping", recorded_ping)
        return db

    return engine, sent


def _backend_pid(db) -> int:
    with db.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_a_connection_in_steady_use_is_not_pinged(pings):
    engine, sent = pings
    db = engine(ping_after_idle_s=3600)
    first = _backend_pid(db)
    assert [_backend_pid(db) for _ in range(3)] == [first] * 3  # the same pooled connection
    assert sent == []
    db.dispose()


def test_a_connection_dropped_while_idle_is_replaced_before_use(pings):
    engine, sent = pings
    db = engine(ping_after_idle_s=0)
    dropped = _backend_pid(db)
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped}).scalar_one()
    admin.dispose()
    replacement = _backend_pid(db)  # no error: the ping found the dead connection first
    assert replacement != dropped and sent
    db.dispose()


def test_a_lookup_reads_without_the_begin_and_rollback_round_trips_of_a_unit_of_work(monkeypatch):
    from psycopg import _connection_base  # where psycopg sends BEGIN, COMMIT and ROLLBACK

    from engine.store.db import make_lookup_engine, make_lookup_factory, make_session_factory
    sent: list[bytes] = []
    real = _connection_base.BaseConnection._exec_command

    def recorded(self, command, *args, **kwargs):
        sent.append(bytes(command))
        return real(self, command, *args, **kwargs)

    monkeypatch.setattr(_connection_base.BaseConnection, "_exec_command", recorded)
    db = make_engine(PG_URL, pool_size=1)
    try:
        with db.connect():  # the dialect's first-connect queries
            pass
        sent.clear()
        with make_lookup_factory(db)() as session:
            assert session.execute(text("SELECT 1")).scalar() == 1
            session.rollback()
        with make_lookup_engine(db).connect() as conn:  # a lookup without a session
            assert conn.execute(text("SELECT 1")).scalar() == 1
        assert sent == []
        with make_session_factory(db)() as session:  # the same pooled connection, transactional again
            assert session.execute(text("SELECT 1")).scalar() == 1
            session.rollback()
        assert [command.split()[0] for command in sent] == [b"BEGIN", b"ROLLBACK"]
    finally:
        db.dispose()


def test_sqlite_lookups_are_ordinary_units_of_work(tmp_path):
    from engine.store.db import make_lookup_engine, make_lookup_factory
    db = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    assert make_lookup_factory(db) is None and make_lookup_engine(db) is None


def test_sessions_run_without_jit_in_their_schema():
    # JIT compiling took 76 ms to 1 s per step once skewed statistics inflated a short query's
    # estimated cost (engine/store/db.py); every query of the application is short.
    db = make_engine(PG_URL, schema="public")
    try:
        with db.connect() as conn:
            assert conn.execute(text("SHOW jit")).scalar_one() == "off"
            assert conn.execute(text("SHOW search_path")).scalar_one() == "public"
    finally:
        db.dispose()
