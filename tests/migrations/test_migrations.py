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


def _declared_for(dialect: str):
    """Leave out what the models declare for another database only (Index info "dialect")."""
    def include(obj, name, type_, reflected, compare_to):
        return obj.info.get("dialect", dialect) == dialect
    return include


# Alembic warns of the PostgreSQL-only expression index before include_object leaves it out.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_head_matches_models(db_url):
    db = _engine(db_url)
    with db.connect() as conn:
        opts = {"compare_type": True, "include_object": _declared_for(conn.dialect.name)}
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
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


def _indexes(db, *tables: str) -> set[str]:
    inspector = inspect(db)
    return {index["name"] for table in tables for index in inspector.get_indexes(table)}


def test_inbox_search_indexes_go_down_to_0006_and_up_again(db_url):
    db = _engine(db_url)
    tables = ("human_tasks", "ip_rights", "parties", "cases", "case_numbers")
    searches = {"ix_parties_name_trgm", "ix_parties_name_bigrams", "ix_cases_number_trgm",
                "ix_case_numbers_number_trgm"}  # PostgreSQL only
    migrate.downgrade(db, "0006")
    before = _indexes(db, *tables)
    assert "ix_ip_rights_case_id" in before and "ix_ip_rights_case_type" not in before
    assert not before & searches
    migrate.upgrade(db, "0007")
    after = _indexes(db, *tables)
    added = {"ix_ip_rights_case_type", "ix_human_tasks_open_case"}
    assert after - before == added | (searches if db.dialect.name == "postgresql" else set())
    assert before - after == {"ix_ip_rights_case_id"}
    priority, = [i for i in inspect(db).get_indexes("human_tasks") if i["name"] == "ix_human_tasks_group_priority"]
    assert priority["column_names"] == ["unit_id", "role", "priority", "due_at", "id"]
    if db.dialect.name == "postgresql":  # SQLite does not report the direction
        assert priority["column_sorting"] == {"priority": ("desc",)}
    migrate.upgrade(db)
    db.dispose()


def test_ip_type_bits_are_computed_from_the_rights_when_migrating_up(ctx, db_url):
    from engine.models.cases import ip_type_mask
    from tests.engine.services.helpers import open_case
    number = open_case(ctx, ip_type="patent", extra_rights=[{"ip_type": "copyright"}, {"ip_type": "patent"}])["number"]
    db = _engine(db_url)
    migrate.downgrade(db, "0007")
    assert "ip_types" not in {c["name"] for c in inspect(db).get_columns("human_tasks")}
    migrate.upgrade(db)
    with db.connect() as conn:
        case_bits = conn.execute(text("SELECT ip_types FROM cases WHERE number = :n"), {"n": number}).scalar_one()
        task_bits = set(conn.execute(text("SELECT t.ip_types FROM human_tasks t JOIN cases c ON c.id = t.case_id "
                                          "WHERE c.number = :n"), {"n": number}).scalars())
    db.dispose()
    # the migration's bits are the models' (new cases get theirs from engine.models.cases)
    assert case_bits == ip_type_mask(["patent", "copyright"]) == 1 | 4 and task_bits == {case_bits}


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


def _state_compression(db) -> str | None:
    """What PostgreSQL compresses new instance states with ('l' LZ4, '' the server default)."""
    with db.connect() as conn:
        return conn.execute(text("SELECT attcompression FROM pg_attribute WHERE attrelid = "
                                 "'workflow_instances'::regclass AND attname = 'state'")).scalar_one()


def test_instance_states_written_before_and_after_lz4_both_load(ctx, db_url):
    from engine.runtime.warm_runs import WarmRuns
    from tests.engine.services.helpers import complete, open_case
    db = _engine(db_url)
    migrate.downgrade(db, "0008")
    if db.dialect.name == "postgresql":
        assert _state_compression(db) == ""
    number = open_case(ctx)["number"]  # its state is written as 0008 stores it
    migrate.upgrade(db)
    ctx.runs = WarmRuns()  # nothing kept in memory: the step reads the state written before
    complete(ctx, number, None, "daiyue.officer1")
    ctx.runs = WarmRuns()
    complete(ctx, number, None, "daiyue.officer1")
    if db.dialect.name == "postgresql":
        assert _state_compression(db) == "l"
        with db.connect() as conn:
            stored = conn.execute(text("SELECT pg_column_compression(i.state) FROM workflow_instances i "
                                       "JOIN cases c ON c.id = i.case_id WHERE c.number = :n"), {"n": number})
            assert stored.scalar_one() == "lz4"
    db.dispose()


def test_a_clocks_events_are_found_through_the_unique_key_once_its_twin_index_is_gone(db_url):
    db = _engine(db_url)
    try:
        assert "ix_clock_events_clock_id" not in _indexes(db, "clock_events")
        explain = "EXPLAIN QUERY PLAN" if db.dialect.name == "sqlite" else "EXPLAIN"
        with db.connect() as conn:
            if db.dialect.name == "postgresql":
                conn.exec_driver_sql("SET enable_seqscan = off")  # an empty table: ask which index serves it
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(
                f"{explain} SELECT id FROM clock_events WHERE clock_id = 1"))
        assert "uq_clock_events_clock_id_kind_dedup" in plan or "sqlite_autoindex_clock_events" in plan, plan
        migrate.downgrade(db, "0009")
        assert "ix_clock_events_clock_id" in _indexes(db, "clock_events")
        migrate.upgrade(db)
        assert "ix_clock_events_clock_id" not in _indexes(db, "clock_events")
    finally:
        db.dispose()
