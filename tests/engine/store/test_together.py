"""Independent writes sent together: one statement on PostgreSQL, each one's rows reported."""
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine.models import Case
from engine.store.together import Batch, held, send_held, write_together
from engine.store.write_through import RowUpdate, adopt, inserting

from .test_write_through import new_case, statements

STATUS = RowUpdate(Case.__table__, ("status",), guards=("status",))
OTHER_STATUS = RowUpdate(Case.__table__, ("status",), guards=("status",), name="other_case")


def test_each_statement_reports_the_rows_it_wrote_and_all_are_written(ctx, clock):
    with ctx.uow() as uow:
        s = uow.session
        first, second, third = (new_case(s, clock) for _ in range(3))
        second.number, third.number = "泰岱市监知登〔2026〕901号", "泰岱市监知登〔2026〕902号"
        first_id, second_id = (row_id for [row_id] in write_together(s, [inserting(first), inserting(second, 1)]))
        adopt(s, first, first_id)
        adopt(s, second, second_id)
        with statements(ctx) as sent:
            written = write_together(s, [STATUS.bound(first, {"status": "closed"}, status="open"),
                                         OTHER_STATUS.bound(second, {"status": "closed"}, status="suspended"),
                                         inserting(third)])
        assert written[0] == [first.id] and written[1] == []  # the second's guard did not match
        [[third_id]] = written[2:]
        assert len(sent) == (1 if s.get_bind().dialect.name == "postgresql" else 3), sent
        uow.commit()
    with ctx.uow() as uow:
        stored = dict(uow.session.execute(select(Case.id, Case.status).where(
            Case.id.in_([first_id, second_id, third_id]))).tuples().all())
    assert stored == {first_id: "closed", second_id: "open", third_id: "open"}


def test_a_failing_statement_fails_the_batch_and_its_transaction_writes_nothing(ctx, clock):
    with ctx.uow() as uow:
        s = uow.session
        first, twin = new_case(s, clock), new_case(s, clock)  # the same case number twice
        with pytest.raises(IntegrityError):
            write_together(s, [inserting(first), inserting(twin, 1)])
    with ctx.uow() as uow:
        assert uow.session.scalar(select(Case.id).where(Case.number == first.number)) is None


def test_two_writes_with_the_same_bind_names_are_refused_before_anything_is_sent(ctx, clock):
    with ctx.uow() as uow:
        s = uow.session
        first, second = new_case(s, clock), new_case(s, clock)
        second.number = "泰岱市监知登〔2026〕901号"
        with statements(ctx) as sent, pytest.raises(ValueError, match="distinct bind names"):
            write_together(s, [inserting(first), inserting(second)])  # both in slot 0
        assert sent == []


def test_a_batch_writes_rows_of_one_table_in_slots_and_raises_when_a_guard_missed(ctx, clock):
    with ctx.uow() as uow:
        s = uow.session
        first, second, late = new_case(s, clock), new_case(s, clock), new_case(s, clock)
        second.number, late.number = "泰岱市监知登〔2026〕901号", "泰岱市监知登〔2026〕902号"
        batch = Batch()
        batch.insert(first)
        batch.insert(second)
        batch.send(s)
        batch = Batch()
        batch.update(STATUS, first, {"status": "closed"}, status="open")
        batch.update(STATUS, second, {"status": "suspended"}, status="open")  # the same statement, slot 1
        batch.insert(late)
        batch.update(STATUS, late, {"status": "closed"}, status="open")  # not written yet: inserted so
        assert (first.status, second.status, late.status) == ("closed", "suspended", "closed")  # at once
        with statements(ctx) as sent:
            batch.send(s)
        assert len(sent) == (1 if s.get_bind().dialect.name == "postgresql" else 3), sent
        ids = [first.id, second.id, late.id]
        uow.commit()
    with ctx.uow() as uow:
        s = uow.session
        first = s.get(Case, ids[0])
        batch = Batch()
        batch.update(STATUS, first, {"status": "reopened"}, on_miss=LookupError("changed meanwhile"), status="open")
        with pytest.raises(LookupError, match="changed meanwhile"):
            batch.send(s)  # status is "closed": the guard misses
    with ctx.uow() as uow:
        stored = dict(uow.session.execute(select(Case.id, Case.status).where(Case.id.in_(ids))).tuples().all())
    assert stored == dict(zip(ids, ["closed", "suspended", "closed"]))


def test_a_row_updated_twice_in_a_batch_is_written_once_with_the_later_values(ctx, clock):
    with ctx.uow() as uow:
        s = uow.session
        case = new_case(s, clock)
        batch = Batch()
        batch.insert(case)
        batch.send(s)
        batch = Batch()
        batch.update(STATUS, case, {"status": "suspended"}, status="open")
        batch.update(STATUS, case, {"status": "closed"}, status="open")  # the first update's guard stays
        with pytest.raises(ValueError, match="one RowUpdate"):
            batch.update(OTHER_STATUS, case, {"status": "reopened"}, status="open")
        with statements(ctx) as sent:
            batch.send(s)
        assert len(sent) == 1 and case.status == "closed"
        uow.commit()
        case_id = case.id
    with ctx.uow() as uow:
        assert uow.session.get(Case, case_id).status == "closed"


def _stored_status(ctx, ids: list[int]) -> list[str]:
    with ctx.uow() as uow:
        stored = dict(uow.session.execute(select(Case.id, Case.status).where(Case.id.in_(ids))).tuples().all())
    return [stored.get(i) for i in ids]


def test_held_writes_go_with_the_next_batch_and_a_commit_sends_what_no_batch_took(ctx, clock):
    with ctx.uow() as uow:
        s = uow.session
        first, second = new_case(s, clock), new_case(s, clock)
        second.number = "泰岱市监知登〔2026〕901号"
        s.add_all([first, second])
        s.flush()
        held(s).update(STATUS, first, {"status": "closed"}, status="open")
        assert first.status == "closed"  # at once, for the rest of the transaction
        batch = Batch()
        batch.update(OTHER_STATUS, second, {"status": "suspended"}, status="open")
        with statements(ctx) as sent:
            batch.send(s)
        assert len(sent) == (1 if s.get_bind().dialect.name == "postgresql" else 2), sent
        held(s).update(STATUS, second, {"status": "closed"}, status="suspended")
        uow.commit()  # no batch came for this one
        ids = [first.id, second.id]
    assert _stored_status(ctx, ids) == ["closed", "closed"]


def test_send_held_writes_them_before_a_read_and_a_rollback_drops_them(ctx, clock):
    with ctx.uow() as uow:
        s = uow.session
        case = new_case(s, clock)
        s.add(case)
        uow.commit()
        case_id = case.id
    with ctx.uow() as uow:
        s = uow.session
        case = s.get(Case, case_id)
        held(s).update(STATUS, case, {"status": "closed"}, status="open")
        send_held(s)
        assert s.execute(select(Case.status).where(Case.id == case_id)).scalar_one() == "closed"
    assert _stored_status(ctx, [case_id]) == ["open"]  # never committed
    with ctx.uow() as uow:
        held(uow.session).update(STATUS, uow.session.get(Case, case_id), {"status": "closed"}, status="open")
    assert _stored_status(ctx, [case_id]) == ["open"]
