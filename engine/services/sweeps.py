"""What the scheduler does, as engine services: fire due BPMN timers, warn before a clock is
due, mark breaches, escalate to the unit's supervisors, chase overdue supervision orders,
send the daily digest.

Every sweep finds its work by one indexed column (`workflow_instances.next_timer_at`,
`clocks.next_check_at`, `supervision_orders.next_check_at`), oldest first, so it costs
O(due) however many clocks run, and after downtime it handles what fell due in order.
Rows are taken `FOR UPDATE SKIP LOCKED` on PostgreSQL: two sweepers never take the same
row; what a sweep records is also deduplicated (clock_events and notifications carry
unique keys), so each timer, warning and breach happens once.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from engine.clocks.catalogue import ClockRule, catalogue
from engine.clocks.deadlines import local_date
from engine.context import Context
from engine.models import (
    Case, CaseClock, ClockEvent, HumanTask, Role, SupervisionOrder, Unit, User, UserRole, WorkflowInstance,
)
from engine.runtime.timers import step_time
from engine.services import audit, instances, notifications
from engine.services.clocks import next_check
from engine.store.id_lists import among

BATCH = 200
CLOCK_BATCH = 1000  # per transaction; the statements per batch do not grow with its size


# --- BPMN timers ---------------------------------------------------------------------------------

def fire_due_timers(ctx: Context, limit: int = 1000) -> int:
    """Load–lock–step–save every running instance whose earliest timer is due, oldest first.

    One instance per transaction, so one broken diagram does not hold up the others.
    """
    now = ctx.clock.now()
    fired, skipped = 0, set()
    while fired + len(skipped) < limit:
        with ctx.uow() as uow:
            s = uow.session
            query = (select(WorkflowInstance).where(WorkflowInstance.status == "running",
                                                    WorkflowInstance.next_timer_at < now)
                     .order_by(WorkflowInstance.next_timer_at, WorkflowInstance.id).limit(1)
                     .with_for_update(skip_locked=True))
            if skipped:
                query = query.where(WorkflowInstance.id.not_in(skipped))
            instance = s.scalar(query)
            if instance is None:
                break
            case = s.get(Case, instance.case_id)
            due = instance.next_timer_at
            with step_time(now):
                run = instances.load(ctx, s, instance, case, now, None)
                run.advance()
                instances.save(s, instance, case, run, now, ctx=ctx)
            if instance.next_timer_at is not None and instance.next_timer_at <= due:
                skipped.add(instance.id)  # did not fire (defect): never spin on it
            audit.record(s, at=now, action="timer.fired", case=case,
                         details={"instance": instance.id, "due": due.isoformat()})
            uow.commit()
            fired += 1
    return fired


# --- what falls due next -------------------------------------------------------------------------

def earliest_due(ctx: Context, timers_from: datetime | None = None,
                 clocks_from: datetime | None = None) -> tuple[datetime | None, datetime | None]:
    """The earliest due BPMN timer and clock check at or after the given moments (None: any).

    One statement, two index lookups (`next_timer_at`, `next_check_at`): cheap enough for the
    scheduler to ask every second.
    """
    timers = select(func.min(WorkflowInstance.next_timer_at)).where(WorkflowInstance.status == "running")
    if timers_from is not None:
        timers = timers.where(WorkflowInstance.next_timer_at >= timers_from)
    checks = select(func.min(CaseClock.next_check_at))
    if clocks_from is not None:
        checks = checks.where(CaseClock.next_check_at >= clocks_from)
    with ctx.uow() as uow:
        timer, check = uow.session.execute(select(timers.scalar_subquery(), checks.scalar_subquery())).one()
    return timer, check


# --- clocks ------------------------------------------------------------------------------------------

@dataclass
class SweptClock:
    """The columns of a clock that the sweep reads and moves on, as a plain object: a batch is
    read and written as plain rows, not ORM objects (`clocks.next_check` reads it like a clock)."""

    id: int
    case_id: int
    rule: str
    state: str
    due_date: date
    due_at: datetime
    warn_at: datetime | None
    warned_at: datetime | None
    breached_at: datetime | None
    escalated_at: datetime | None
    stopped_at: datetime | None
    next_check_at: datetime | None


_CLOCK_COLUMNS = [CaseClock.__table__.c[f.name] for f in fields(SweptClock)]
_MOVED = ("state", "warned_at", "breached_at", "escalated_at", "next_check_at")
_SAVE_CLOCK = (update(CaseClock.__table__).where(CaseClock.__table__.c.id == bindparam("clock_id"))
               .values({name: bindparam(f"new_{name}") for name in _MOVED}))


@dataclass
class _Due:
    """What fell due on one clock of a batch: warned | breached | escalated."""

    clock: SweptClock
    kind: str
    rule: ClockRule | None

    @property
    def dedup(self) -> str:
        return self.clock.due_date.isoformat()  # once per due date


def sweep_clocks(ctx: Context, batch: int = CLOCK_BATCH) -> dict:
    """Warnings, breaches and escalations of every clock whose `next_check_at` has come.

    One transaction per batch of clocks, with a fixed number of statements whatever the
    batch size (see `check_clocks`).
    """
    from engine.services.holidays import load_calendar
    now = ctx.clock.now()
    counts = {"warned": 0, "breached": 0, "escalated": 0}
    cat, cal = catalogue(), None
    while True:
        with ctx.uow() as uow:
            s = uow.session
            rows = s.execute(select(*_CLOCK_COLUMNS).where(CaseClock.next_check_at <= now)
                             .order_by(CaseClock.next_check_at, CaseClock.id).limit(batch)
                             .with_for_update(skip_locked=True, of=CaseClock.__table__)).all()
            if not rows:
                return counts
            if cal is None:  # once per sweep
                cal = load_calendar(s)
            clocks = [SweptClock(*row) for row in rows]
            for kind in check_clocks(s, cal, cat, clocks, now):
                counts[kind] += 1
            uow.commit()


def check_clocks(session: Session, cal, cat, clocks: list[SweptClock], now: datetime) -> list[str]:
    """Do what is due on each clock; returns the kinds recorded (warned | breached | escalated).

    A due action is recorded once per due date (another sweeper may have done it): one query
    finds those already recorded, the new ones are written in bulk (`_record`), and the
    clocks saved with one UPDATE sent for all of them.
    """
    due = [d for d in (_mark_due(cal, cat.rules.get(c.rule), c, now) for c in clocks) if d is not None]
    new = _not_recorded(session, due)
    acted = {d.clock.id for d in new}
    for clock in clocks:
        clock.next_check_at = next_check(cal, clock, cat.rules.get(clock.rule))
        if clock.next_check_at is not None and clock.next_check_at <= now and clock.id not in acted:
            clock.next_check_at = None  # nothing left to do now: never spin
    session.execute(_SAVE_CLOCK, [{"clock_id": c.id, **{f"new_{name}": getattr(c, name) for name in _MOVED}}
                                  for c in clocks])
    _record(session, new, now)
    return [d.kind for d in new]


def _mark_due(cal, rule: ClockRule | None, clock: SweptClock, now: datetime) -> _Due | None:
    """Move the clock on to what is due now, if anything: breached, warned or escalated."""
    if clock.stopped_at is not None:
        return None
    if clock.state in ("running", "extended"):
        if now >= clock.due_at:
            clock.state, clock.breached_at = "breached", clock.due_at
            return _Due(clock, "breached", rule)
        if clock.warn_at is not None and clock.warned_at is None and now >= clock.warn_at:
            clock.warned_at = now
            return _Due(clock, "warned", rule)
    elif clock.state == "breached" and clock.escalated_at is None:
        moment = next_check(cal, clock, rule)
        if moment is not None and now >= moment:
            clock.escalated_at = now
            return _Due(clock, "escalated", rule)
    return None


def _not_recorded(session: Session, due: list[_Due]) -> list[_Due]:
    if not due:
        return []
    have = set(session.execute(select(ClockEvent.clock_id, ClockEvent.kind, ClockEvent.dedup).where(
        among(session, ClockEvent.clock_id, {d.clock.id for d in due}), ClockEvent.kind.in_({d.kind for d in due}),
        ClockEvent.dedup.is_not(None))).tuples())
    return [d for d in due if (d.clock.id, d.kind, d.dedup) not in have]


def _record(session: Session, due: list[_Due], now: datetime) -> None:
    """Clock events, audit events (breaches, escalations) and notifications: one INSERT each."""
    if not due:
        return
    session.execute(insert(ClockEvent.__table__), [
        {"clock_id": d.clock.id, "at": now, "kind": d.kind, "actor_id": None, "due_before": None,
         "due_after": d.clock.due_date, "dedup": d.dedup, "details": _event_details(d)} for d in due])
    cases = _cases(session, {d.clock.case_id for d in due})
    audit.record_many(session, [
        audit.row(at=now, action=f"clock.{d.kind}", case_id=d.clock.case_id,
                  details={"clock": d.clock.id, "rule": d.clock.rule, "due": d.clock.due_date.isoformat()})
        for d in due if d.kind != "warned"])
    notifications.notify_many(session, _notices(session, due, cases), now)


def _event_details(d: _Due) -> dict:
    if d.kind == "warned":
        return {"warn_at": d.clock.warn_at.isoformat()}
    if d.kind == "breached":
        return {"due_at": d.clock.due_at.isoformat()}
    return {}


def _cases(session: Session, case_ids: set[int]) -> dict:
    """Case id -> (number, title, unit_id, unit_name) for the batch's notices."""
    rows = session.execute(select(Case.id, Case.number, Case.title, Case.unit_id, Unit.name.label("unit_name"))
                           .join(Unit, Unit.id == Case.unit_id).where(Case.id.in_(case_ids))).all()
    return {row.id: row for row in rows}


def _notices(session: Session, due: list[_Due], cases: dict) -> list[notifications.Notice]:
    """Warnings go to the handlers (else the unit head), breaches to both, escalations to the
    supervisors of the case's unit and every unit above it."""
    handlers = _handlers(session, [d for d in due if d.kind != "escalated"])
    heads = notifications.users_with_role_by_unit(
        session, {cases[d.clock.case_id].unit_id for d in due if d.kind != "escalated"}, Role.UNIT_HEAD)
    supervisors = notifications.users_with_role_by_unit(
        session, {cases[d.clock.case_id].unit_id for d in due if d.kind == "escalated"}, Role.SUPERVISOR,
        upwards=True)
    made = []
    for d in due:
        clock, case = d.clock, cases[d.clock.case_id]
        label, day = _label(d.rule, clock), clock.due_date.isoformat()
        if d.kind == "warned":
            to = handlers.get(clock.id) or heads[case.unit_id]
            made.append(notifications.Notice(tuple(to), "warning", case.id, f"warn:{clock.id}:{day}",
                                             f"即将到期：{case.number} {label}", f"期限{day}届满（{case.title}）。"))
        elif d.kind == "breached":
            to = sorted(set(handlers.get(clock.id, ())) | set(heads[case.unit_id]))
            made.append(notifications.Notice(tuple(to), "breach", case.id, f"breach:{clock.id}:{day}",
                                             f"已超期：{case.number} {label}", f"期限{day}已届满（{case.title}）。"))
        else:
            made.append(notifications.Notice(tuple(supervisors[case.unit_id]), "escalation", case.id,
                                             f"esc:{clock.id}:{day}", f"超期督办提示：{case.number} {label}",
                                             f"{case.unit_name}办理的案件已超过{day}的期限。"))
    return made


def _handlers(session: Session, due: list[_Due]) -> dict[int, list[int]]:
    """Clock id -> who works on it: holders of its case's open tasks that the clock governs."""
    steps = {step for d in due if d.rule for step in d.rule.governs}
    if not steps:
        return {}
    rows = session.execute(select(HumanTask.case_id, HumanTask.bpmn_id, HumanTask.assignee_id).where(
        HumanTask.case_id.in_({d.clock.case_id for d in due}), HumanTask.state == "open",
        HumanTask.bpmn_id.in_(steps), HumanTask.assignee_id.is_not(None)).distinct()).all()
    by_case: dict[int, list[tuple[str, int]]] = {}
    for case_id, step, assignee in rows:
        by_case.setdefault(case_id, []).append((step, assignee))
    return {d.clock.id: sorted({a for step, a in by_case.get(d.clock.case_id, ()) if step in d.rule.governs})
            for d in due if d.rule}


def _label(rule, clock: SweptClock) -> str:
    return rule.label.get("zh", clock.rule) if rule else clock.rule


# --- supervision orders --------------------------------------------------------------------------

def sweep_orders(ctx: Context, batch: int = BATCH) -> int:
    """Orders without a reply past their deadline escalate once, to the issuer and the supervisors above."""
    now = ctx.clock.now()
    done = 0
    while True:
        with ctx.uow() as uow:
            s = uow.session
            rows = s.scalars(select(SupervisionOrder).where(SupervisionOrder.next_check_at <= now)
                             .order_by(SupervisionOrder.next_check_at, SupervisionOrder.id).limit(batch)
                             .with_for_update(skip_locked=True)).all()
            if not rows:
                return done
            for order in rows:
                order.next_check_at = None
                if order.status != "open" or order.escalated_at is not None:
                    continue
                order.escalated_at = now
                case = s.get(Case, order.case_id)
                audit.record(s, at=now, action="supervision.order_overdue", case=case,
                             details={"order": order.id, "reply_due": order.reply_due.isoformat()})
                to = {order.issued_by_id} | set(notifications.users_with_role(s, order.unit_id, Role.SUPERVISOR,
                                                                              upwards=True))
                to |= set(notifications.users_with_role(s, order.unit_id, Role.UNIT_HEAD))
                notifications.notify(s, sorted(to), "order_overdue", case, now, f"order-overdue:{order.id}",
                                     subject=f"督办逾期未回复：{case.number}",
                                     body=f"督办事项要求{order.reply_due.isoformat()}前回复：{order.instruction}")
                done += 1
            uow.commit()


# --- daily digest --------------------------------------------------------------------------------

def daily_digest(ctx: Context) -> int:
    """Once a day: each supervisor and unit head gets the overdue / at-risk counts of their scope."""
    from engine.services import supervision
    now = ctx.clock.now()
    day = local_date(now).isoformat()
    sent = 0
    with ctx.uow() as uow:
        s = uow.session
        people = s.scalars(select(User).join(UserRole, UserRole.user_id == User.id).where(
            User.active.is_(True), UserRole.role.in_([Role.SUPERVISOR, Role.UNIT_HEAD])).distinct()
            .order_by(User.id)).all()
        for user in people:
            totals = supervision.totals_for(s, user, now)
            if not (totals["overdue"] or totals["at_risk"] or totals["orders_open"]):
                continue
            made = notifications.notify(
                s, [user.id], "digest", None, now, f"digest:{day}",
                subject=f"每日督办摘要 {day}",
                body=f"超期 {totals['overdue']} 件，临期 {totals['at_risk']} 件，未办结督办 {totals['orders_open']} 件。")
            sent += len(made)
        uow.commit()
    return sent
