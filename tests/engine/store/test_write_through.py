"""Single-row writes outside the unit of work keep the session's objects in step with the rows."""
from contextlib import contextmanager

from sqlalchemy import event, select

from engine.models import Case, Unit
from engine.store.write_through import RowUpdate, insert_now


@contextmanager
def statements(ctx):
    sent = []
    listener = lambda conn, cur, stmt, *a: sent.append(stmt.split()[0].upper())  # noqa: E731
    event.listen(ctx.db, "before_cursor_execute", listener)
    try:
        yield sent
    finally:
        event.remove(ctx.db, "before_cursor_execute", listener)


def new_case(session, clock) -> Case:
    unit = session.scalar(select(Unit).where(Unit.code == "daiyue"))
    return Case(number="泰岱市监知登〔2026〕900号", pipeline="enforcement", unit_id=unit.id, title="写入测试",
                opened_at=clock.now())


def test_an_inserted_object_has_its_id_and_defaults_and_reads_without_a_query(ctx, clock):
    with ctx.uow() as uow:
        case = new_case(uow.session, clock)
        with statements(ctx) as sent:
            insert_now(uow.session, case)
            seen = (case.id is not None, case.status, case.details, case.priority, case.closed_at)
        assert sent == ["INSERT"]  # nothing reloaded: every column is known
        assert seen == (True, "open", {}, 0, None)
        case.stage = "register_lead"  # a later change flushes as an UPDATE of that row
        uow.commit()
        case_id = case.id
    with ctx.uow() as uow:
        stored = uow.session.get(Case, case_id)
        assert (stored.status, stored.details, stored.stage) == ("open", {}, "register_lead")


def test_a_row_update_writes_and_becomes_the_objects_committed_state(ctx, clock):
    stage_and_status = RowUpdate(Case.__table__, ("stage", "status"), guards=("status",))
    with ctx.uow() as uow:
        case = new_case(uow.session, clock)
        insert_now(uow.session, case)
        assert stage_and_status.run(uow.session, case, {"stage": None, "status": "closed"}, status="open")
        assert (case.stage, case.status) == (None, "closed") and not uow.session.is_modified(case)
        # the guard no longer matches: nothing is written and the object keeps its values
        assert not stage_and_status.run(uow.session, case, {"stage": "x", "status": "reopened"}, status="open")
        assert (case.stage, case.status) == (None, "closed")
        uow.commit()
        case_id = case.id
    with ctx.uow() as uow:
        assert uow.session.get(Case, case_id).status == "closed"
