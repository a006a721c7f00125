"""The long-history benchmark's loop: a round of investigation, report and legal review sends
the case back to investigation, so it can be run a thousand times on one case."""
from __future__ import annotations

from sqlalchemy import select

from bench.long_history import loop_round, open_at_loop
from engine.models import Case, HumanTask


def _open_steps(ctx, number: str) -> list[str]:
    with ctx.uow() as uow:
        return list(uow.session.scalars(select(HumanTask.bpmn_id).join(Case, Case.id == HumanTask.case_id)
                                        .where(Case.number == number, HumanTask.state == "open")))


def test_a_round_returns_the_case_to_investigation_with_its_writes_counted(ctx):
    number = open_at_loop(ctx)
    assert _open_steps(ctx, number) == ["investigate"]

    for _ in range(2):
        times, writes, rows = loop_round(ctx, number)
        assert len(times) == 3
        assert writes >= 3 and rows >= writes  # each step writes; the counter sees it
        assert _open_steps(ctx, number) == ["investigate"]

    with ctx.uow() as uow:
        done = uow.session.scalars(select(HumanTask.bpmn_id).join(Case, Case.id == HumanTask.case_id)
                                   .where(Case.number == number, HumanTask.state == "completed",
                                          HumanTask.bpmn_id == "legal_review")).all()
    assert len(done) == 2
