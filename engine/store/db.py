"""Create the SQLAlchemy engine for SQLite (embedded default) or PostgreSQL."""
from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from engine.store import after_commit, read_only


# A pooled connection idle longer than this is pinged before use (the server may have
# restarted or dropped it meanwhile); one in steady use is not, which saves a round trip
# per transaction. A connection lost while in use fails its transaction once and the pool
# then replaces every connection it handed out before.
PING_AFTER_IDLE_S = 10.0


def make_engine(url: str, schema: str | None = None, ping_after_idle_s: float = PING_AFTER_IDLE_S,
                **kwargs) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url, parsed.database, **kwargs)
    else:
        engine = _postgres_engine(url, schema, ping_after_idle_s, **kwargs)
    read_only.install(engine)
    return engine


def _postgres_engine(url: str, schema: str | None, ping_after_idle_s: float, **kwargs) -> Engine:
    # Without JIT: every query here is short, and PostgreSQL compiles one whose estimated cost
    # passes jit_above_cost. Skewed data did that to a step's locking read (its join of the
    # case's running clocks, with one case holding a million): 0.15 ms of execution, up to
    # 1 s of compiling, per step (bench/README.md, section 5).
    options = "-cjit=off" + (f" -csearch_path={schema}" if schema else "")
    engine = create_engine(url, connect_args={"options": options}, **kwargs)
    _ping_idle_connections(engine, ping_after_idle_s)
    _cache_long_statements()
    return engine


def _cache_long_statements() -> None:
    """psycopg finds a statement's placeholders with a Python tokenizer and caches the result
    only for statements of at most 50 parameters and 4 KB, to keep ORM-made statements of
    ever-changing length out of it (psycopg/_queries.py). A step's writes sent together
    (engine/store/together.py) come in a few fixed shapes, some over those limits: parsed
    again on every step (~0.3 ms each). The limits are raised for them; the cache stays an
    LRU of 128 statements."""
    from psycopg import _queries  # not public API: without these names the limits stay as they are

    if getattr(_queries, "MAX_CACHED_STATEMENT_PARAMS", 0) < 500:
        _queries.MAX_CACHED_STATEMENT_PARAMS = 500
    if getattr(_queries, "MAX_CACHED_STATEMENT_LENGTH", 0) < 32768:
        _queries.MAX_CACHED_STATEMENT_LENGTH = 32768


def _ping_idle_connections(engine: Engine, after_s: float) -> None:
    """SQLAlchemy's pool_pre_ping, only for connections that sat idle in the pool for `after_s`."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn, record, _proxy):
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < after_s:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as err:
            raise DisconnectionError(str(err)) from err  # the pool reconnects and retries


def _sqlite_engine(url: str, database: str | None, **kwargs) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _on_begin).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Every transaction takes the write lock up front: SQLite then serialises
        # writers instead of failing one of two readers that both try to write.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(engine, expire_on_commit=False)
    after_commit.install(factory)
    return factory


def make_lookup_engine(engine: Engine) -> Engine | None:
    """The engine for one-statement reads (the session user on every request): on PostgreSQL in
    autocommit, so the statement is its own transaction and needs no BEGIN and ROLLBACK round
    trips (psycopg sends BEGIN as a statement of its own). None elsewhere: SQLite has no round
    trips to save, and its engine begins every transaction itself (`_on_begin`)."""
    if engine.dialect.name != "postgresql":
        return None
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def make_lookup_factory(engine: Engine) -> sessionmaker[Session] | None:
    """Sessions on `make_lookup_engine` (None where it is None)."""
    lookups = make_lookup_engine(engine)
    return sessionmaker(lookups, expire_on_commit=False) if lookups is not None else None
