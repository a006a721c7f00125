"""The clock sweep handles a batch in a fixed number of statements, however many clocks fall
due, and still tells each person once."""
from datetime import datetime, timezone

from sqlalchemy import event, func, select

from engine.models import AuditEvent, CaseClock, ClockEvent, Notification
from engine.services import sweeps
from tests.engine.services.helpers import open_case

SEP_23 = datetime(2026, 9, 23, 1, 30, tzinfo=timezone.utc)
OCT_9 = datetime(2026, 10, 9, 1, 30, tzinfo=timezone.utc)
# Filing clocks opened on Sep 23 warn on Oct 16, breach at the end of Oct 21, escalate a
# working day later; those opened on Oct 9 warn on Oct 26 and are due at the end of Oct 29.
FIRST = [datetime(2026, 10, 16, 2, tzinfo=timezone.utc), datetime(2026, 10, 21, 16, tzinfo=timezone.utc),
         datetime(2026, 10, 22, 16, tzinfo=timezone.utc)]
SECOND = [datetime(2026, 10, 27, 2, tzinfo=timezone.utc), datetime(2026, 10, 29, 16, tzinfo=timezone.utc),
          datetime(2026, 10, 30, 16, tzinfo=timezone.utc)]


def sweeps_counting_statements(ctx, clock, moments) -> list[tuple[dict, int]]:
    """Sweep at each moment: what it did, and how many SQL statements it sent."""
    done = []
    for moment in moments:
        clock.set(moment)
        statements = []
        listener = lambda conn, cur, stmt, *a: statements.append(stmt)  # noqa: E731
        event.listen(ctx.db, "before_cursor_execute", listener)
        try:
            counts = sweeps.sweep_clocks(ctx)
        finally:
            event.remove(ctx.db, "before_cursor_execute", listener)
        done.append((counts, len(statements)))
    return done


def rows(ctx, model, *where) -> int:
    with ctx.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(model).where(*where))


def test_six_due_clocks_in_three_units_cost_the_statements_of_two_in_one(ctx, clock):
    clock.set(SEP_23)
    for _ in range(2):
        open_case(ctx)
    clock.set(OCT_9)
    for unit in ("daiyue", "taishan", "xintai", "daiyue", "taishan", "xintai"):
        open_case(ctx, unit=unit)
    few = sweeps_counting_statements(ctx, clock, FIRST)
    many = sweeps_counting_statements(ctx, clock, SECOND)
    assert [c for c, _ in few] == [{"warned": 2, "breached": 0, "escalated": 0},
                                   {"warned": 0, "breached": 2, "escalated": 0},
                                   {"warned": 0, "breached": 0, "escalated": 2}]
    assert [c for c, _ in many] == [{"warned": 6, "breached": 0, "escalated": 0},
                                    {"warned": 0, "breached": 6, "escalated": 0},
                                    {"warned": 0, "breached": 0, "escalated": 6}]
    assert [n for _, n in many] == [n for _, n in few]
    assert rows(ctx, ClockEvent, ClockEvent.kind.in_(["warned", "breached", "escalated"])) == 3 * 8
    assert rows(ctx, AuditEvent, AuditEvent.action.in_(["clock.breached", "clock.escalated"])) == 2 * 8
    # warning: the officer; breach: the officer and the unit head; escalation: the unit's and the
    # city's supervisors
    assert rows(ctx, Notification) == 8 * (1 + 2 + 2)


def test_a_sweep_repeated_after_a_crash_before_the_clocks_were_saved_tells_nobody_twice(ctx, clock):
    clock.set(SEP_23)
    for _ in range(3):
        open_case(ctx)
    clock.set(FIRST[1])
    assert sweeps.sweep_clocks(ctx)["breached"] == 3
    with ctx.uow() as uow:  # as if the clocks' own update had been lost: they look due again
        for c in uow.session.scalars(select(CaseClock)):
            c.state, c.breached_at, c.next_check_at = "running", None, c.due_at
        uow.commit()
    assert sweeps.sweep_clocks(ctx) == {"warned": 0, "breached": 0, "escalated": 0}
    assert rows(ctx, ClockEvent, ClockEvent.kind == "breached") == 3
    assert rows(ctx, Notification, Notification.kind == "breach") == 3 * 2
    with ctx.uow() as uow:
        states = uow.session.scalars(select(CaseClock.state)).all()
    assert states == ["breached"] * 3
