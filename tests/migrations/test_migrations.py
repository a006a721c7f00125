"""Migrations go up from empty, down to base, and match the models."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from engine import migrate
from engine.models import Base
from engine.services import audit
from engine.store.db import make_engine


def _engine(db_url):
    url, schema = db_url
    return make_engine(url, schema)


def test_head_matches_models(db_url):
    db = _engine(db_url)
    with db.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    db.dispose()
    assert diff == []


def test_downgrade_to_base_and_up_again(db_url):
    db = _engine(db_url)
    migrate.downgrade(db, "base")
    remaining = set(inspect(db).get_table_names()) - {"alembic_version"}
    assert remaining == set()
    migrate.upgrade(db)
    assert set(Base.metadata.tables) <= set(inspect(db).get_table_names())
    db.dispose()


def test_audit_log_refuses_update_and_delete(ctx, clock):
    with ctx.uow() as uow:
        audit.record(uow.session, at=clock.now(), action="test.event", details={"n": 1})
        uow.commit()
    for sql in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"):
            with ctx.db.begin() as conn:
                conn.execute(text(sql))
    with ctx.db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_events WHERE action = 'test.event'")).scalar() == 1
