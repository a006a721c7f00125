"""Single-row writes outside the unit of work keep the session's objects in step with the rows
(sent through a `Batch` of one, as a step sends its writes)."""
import pytest
from sqlalchemy import select

from engine.models import Case, Unit
from engine.store.together import Batch
from engine.store.write_through import RowUpdate
from tests.statements import statements


def write_one(session, obj, row_update: RowUpdate | None = None, values=None, **guards) -> None:
    """Insert `obj`, or with `row_update` update its row to `values`, at once."""
    batch = Batch()
    if row_update is None:
        batch.insert(obj)
    else:
        batch.update(row_update, obj, values, on_miss=LookupError("guards missed"), **guards)
    batch.send(session)


def new_case(session, clock) -> Case:
    unit = session.scalar(select(Unit).where(Unit.code == "daiyue"))
    return Case(number="泰岱市监知登〔2026〕900号", pipeline="enforcement", unit_id=unit.id, title="写入测试",
                opened_at=clock.now())


def test_an_inserted_object_has_its_id_and_defaults_and_reads_without_a_query(ctx, clock):
    with ctx.uow() as uow:
        case = new_case(uow.session, clock)
        with statements(ctx) as sent:
            write_one(uow.session, case)
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
        write_one(uow.session, case)
        write_one(uow.session, case, stage_and_status, {"stage": None, "status": "closed"}, status="open")
        assert (case.stage, case.status) == (None, "closed") and not uow.session.is_modified(case)
        # the guard no longer matches: nothing is written, and the batch says so
        with pytest.raises(LookupError, match="guards missed"):
            write_one(uow.session, case, stage_and_status, {"stage": "x", "status": "reopened"}, status="open")
        uow.commit()
        case_id = case.id
    with ctx.uow() as uow:
        assert uow.session.get(Case, case_id).status == "closed"
