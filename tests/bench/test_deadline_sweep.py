"""The deadline-sweep benchmark's clocks: generated rows (COPY on PostgreSQL) are real running
clocks that the scheduler's sweep finds and breaches, the due ones only."""
from __future__ import annotations

from sqlalchemy import func, select

from bench.deadline_sweep import clock_rows, insert_clocks, settle, timed_sweep
from engine.models import Case, CaseClock, ClockEvent
from tests.engine.services.helpers import open_case


def test_generated_clocks_breach_when_due_and_only_then(ctx):
    number = open_case(ctx)["number"]
    with ctx.uow() as uow:
        case = uow.session.scalar(select(Case).where(Case.number == number))
        case_id, unit_id = case.id, case.unit_id

    insert_clocks(ctx, clock_rows(300, 25, case_id, unit_id, ctx.clock.now()))
    settle(ctx)
    done, _, _ = timed_sweep(ctx)
    again, _, again_statements = timed_sweep(ctx)

    assert done["breached"] == 25
    assert again == {"warned": 0, "breached": 0, "escalated": 0} and again_statements == 1
    with ctx.uow() as uow:
        s = uow.session
        assert s.scalar(select(func.count()).select_from(CaseClock).where(CaseClock.state == "breached")) == 25
        assert s.scalar(select(func.count()).select_from(ClockEvent).where(ClockEvent.kind == "breached")) == 25
