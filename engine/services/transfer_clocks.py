"""The case's own clocks across a criminal transfer (procedures.md §2.1).

While the case is with the transfer process and the police, its running clocks whose
catalogue entry allows the pause reason `transfer` (e.g. decide_case, 90 CD) stop counting;
they count again when the result comes back (refused, not filed). A case the police file
ends, and the clock service stops its clocks. Pausing across the transfer is local practice
(unverified): remove `transfer` from a rule's pause_reasons in workflows/clocks.yaml to keep
it running. The pause and resume are the clock service's own records (clock events, audit
`clock.paused` / `clock.resumed`), written in the step's transaction.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clocks.catalogue import catalogue
from engine.clocks.deadlines import local_date
from engine.models import Case, CaseClock, ClockPause, User
from engine.services import audit

PAUSE_ON = "criminal_transfer"
RESUME_ON = "criminal_transfer_result"
REASON = "transfer"


def on_message(session: Session, case: Case, name: str, now: datetime, actor: User | None) -> None:
    """Called by the message bus after each delivery on the case."""
    if name == PAUSE_ON:
        pause(session, case, now, actor)
    elif name == RESUME_ON:
        resume(session, case, now, actor)


def _open_clocks(session: Session, case: Case) -> list[CaseClock]:
    return list(session.scalars(select(CaseClock).where(CaseClock.case_id == case.id,
                                                        CaseClock.stopped_at.is_(None))
                                .order_by(CaseClock.id).with_for_update()))


def pause(session: Session, case: Case, now: datetime, actor: User | None) -> list[CaseClock]:
    from engine.services import clocks
    from engine.services.holidays import load_calendar

    cat, day, cal, paused = catalogue(), local_date(now), None, []
    for clock in _open_clocks(session, case):
        rule = cat.rules.get(clock.rule)
        if rule is None or REASON not in rule.pause_reasons or clock.state not in ("running", "extended"):
            continue
        before = clock.due_date
        clock.pauses.append(ClockPause(reason=REASON, first_day=day, paused_by_id=actor.id if actor else None,
                                       created_at=now))
        clock.state, clock.paused_since, clock.pause_reason = "paused", day, REASON
        cal = cal or load_calendar(session)
        clocks._apply(cal, clock, rule, now)
        clocks._event(session, clock, now, "paused", actor, before, {"reason": REASON, "from": day.isoformat()})
        audit.record(session, at=now, action="clock.paused", actor=actor, case=case,
                     details={"clock": clock.id, "rule": clock.rule, "reason": REASON, "from": day.isoformat()})
        paused.append(clock)
    if paused:
        clocks.set_task_due(session, case.id, cat)
    return paused


def resume(session: Session, case: Case, now: datetime, actor: User | None) -> list[CaseClock]:
    from engine.services import clocks
    from engine.services.holidays import load_calendar

    cat, day, cal, resumed = catalogue(), local_date(now), None, []
    for clock in _open_clocks(session, case):
        if clock.state != "paused" or clock.pause_reason != REASON:
            continue
        before = clock.due_date
        current = clock.pauses[-1]
        current.last_day = day - timedelta(days=1)
        current.resumed_by_id = actor.id if actor else None
        clock.state = "extended" if clock.extension else "running"
        clock.paused_since = clock.pause_reason = None
        cal = cal or load_calendar(session)
        clocks._apply(cal, clock, cat.rules.get(clock.rule), now)
        clocks._event(session, clock, now, "resumed", actor, before,
                      {"on": day.isoformat(), "paused_days": (day - current.first_day).days})
        audit.record(session, at=now, action="clock.resumed", actor=actor, case=case,
                     before={"due": before.isoformat()}, after={"due": clock.due_date.isoformat()},
                     details={"clock": clock.id, "rule": clock.rule, "on": day.isoformat(), "reason": REASON})
        resumed.append(clock)
    if resumed:
        clocks.set_task_due(session, case.id, cat)
    return resumed
