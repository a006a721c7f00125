"""A unit of work left without commit: what it wrote is undone, and a read that wrote nothing
keeps the connection's prepared statements (psycopg drops them on every ROLLBACK)."""
import pytest
from sqlalchemy import func, select, text, update

from engine.errors import Invalid
from engine.models import Case, Unit
from engine.services import tasks
from engine.store.together import held
from engine.store.write_through import inserting

from .test_write_through import new_case


def _cases(ctx) -> int:
    with ctx.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(Case))


def _unit_name(ctx) -> str:
    with ctx.uow() as uow:
        return uow.session.scalar(select(Unit.name).where(Unit.code == "daiyue"))


def test_a_flushed_row_left_without_commit_is_undone(ctx, clock):
    with ctx.uow() as uow:
        uow.session.add(new_case(uow.session, clock))
        uow.session.flush()
    assert _cases(ctx) == 0


def test_changes_not_yet_flushed_are_not_written_by_leaving(ctx, clock):
    name = _unit_name(ctx)
    with ctx.uow() as uow:
        uow.session.scalar(select(Unit).where(Unit.code == "daiyue")).name = "改过的名称"
        uow.session.add(new_case(uow.session, clock))
    assert (_unit_name(ctx), _cases(ctx)) == (name, 0)


def test_a_statement_that_wrote_is_undone_when_left_without_commit(ctx):
    name = _unit_name(ctx)
    with ctx.uow() as uow:
        uow.session.execute(update(Unit).where(Unit.code == "daiyue").values(name="改过的名称"))
    assert _unit_name(ctx) == name


def test_writes_held_back_are_not_sent_by_leaving(ctx, clock):
    with ctx.uow() as uow:
        held(uow.session).add(inserting(new_case(uow.session, clock)))
    assert _cases(ctx) == 0


def test_writes_before_a_users_mistake_are_undone(ctx, clock):
    with pytest.raises(Invalid):
        with ctx.uow() as uow:
            uow.session.add(new_case(uow.session, clock))
            uow.session.flush()
            raise Invalid("Bad input.")
    assert _cases(ctx) == 0


@pytest.mark.postgresql_only
def test_inbox_views_keep_the_prepared_statements_of_their_connection(ctx):
    """psycopg prepares a statement on its fifth run on a connection; before, every read ended
    with ROLLBACK, which deallocated them all, so the inbox query was planned on every view."""
    ctx.db.dispose()  # one pooled connection from here on: every unit of work below uses it
    for _ in range(6):
        tasks.list_tasks(ctx, username="daiyue.officer1")
    with ctx.uow() as uow:
        prepared = uow.session.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
    assert any("human_tasks" in statement for statement in prepared), prepared
