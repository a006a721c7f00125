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

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from engine.clocks.catalogue import catalogue
from engine.clocks.deadlines import local_date
from engine.context import Context
from engine.models import (
    Case, CaseClock, ClockEvent, HumanTask, Role, SupervisionOrder, User, UserRole, WorkflowInstance,
)
from engine.runtime.timers import step_time
from engine.services import audit, instances, notifications
from engine.services.clocks import next_check

BATCH = 200


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


# --- clocks ------------------------------------------------------------------------------------------

def sweep_clocks(ctx: Context, batch: int = BATCH) -> dict:
    """Warnings, breaches and escalations of every clock whose `next_check_at` has come."""
    from engine.services.holidays import load_calendar
    now = ctx.clock.now()
    counts = {"warned": 0, "breached": 0, "escalated": 0}
    while True:
        with ctx.uow() as uow:
            s = uow.session
            rows = s.scalars(select(CaseClock).where(CaseClock.next_check_at <= now)
                             .order_by(CaseClock.next_check_at, CaseClock.id).limit(batch)
                             .options(selectinload(CaseClock.pauses))
                             .with_for_update(skip_locked=True, of=CaseClock)).all()
            if not rows:
                return counts
            cal, cat = load_calendar(s), catalogue()
            s.info["recipients"], s.info["cases"] = {}, {}  # lookups shared by this batch
            with s.no_autoflush:  # one UPDATE per clock, written at commit
                for clock in rows:
                    kind = check_clock(s, cal, cat, clock, now)
                    if kind:
                        counts[kind] += 1
            uow.commit()


def check_clock(session: Session, cal, cat, clock: CaseClock, now: datetime) -> str | None:
    """Do what is due on one clock; returns warned | breached | escalated | None."""
    rule = cat.rules.get(clock.rule)
    done = None
    if clock.stopped_at is None and clock.state in ("running", "extended"):
        if now >= clock.due_at:
            done = _breach(session, clock, rule, now)
        elif clock.warn_at is not None and clock.warned_at is None and now >= clock.warn_at:
            done = _warn(session, clock, rule, now)
    elif clock.stopped_at is None and clock.state == "breached" and clock.escalated_at is None:
        moment = next_check(cal, clock, rule)
        if moment is not None and now >= moment:
            done = _escalate(session, clock, rule, now)
    clock.next_check_at = next_check(cal, clock, rule)
    if clock.next_check_at is not None and clock.next_check_at <= now and done is None:
        clock.next_check_at = None  # nothing left to do now: never spin
    return done


def _once(session: Session, clock: CaseClock, kind: str, now: datetime, details: dict) -> bool:
    """Record a once-per-due-date event; False if it already exists (another sweeper did it)."""
    key = clock.due_date.isoformat()
    if session.scalar(select(ClockEvent.id).where(ClockEvent.clock_id == clock.id, ClockEvent.kind == kind,
                                                  ClockEvent.dedup == key)):
        return False
    session.add(ClockEvent(clock_id=clock.id, at=now, kind=kind, due_after=clock.due_date, dedup=key,
                           details=details))
    return True


def _handlers(session: Session, clock: CaseClock, rule) -> list[int]:
    """Who works on the clock: holders of its open governed tasks."""
    steps = rule.governs if rule else ()
    return list(session.scalars(select(HumanTask.assignee_id).where(
        HumanTask.case_id == clock.case_id, HumanTask.state == "open", HumanTask.bpmn_id.in_(steps),
        HumanTask.assignee_id.is_not(None)).distinct()))


def _role_users(session: Session, unit_id: int, role: Role, upwards: bool = False) -> list[int]:
    cache = session.info.setdefault("recipients", {})
    key = (unit_id, role, upwards)
    if key not in cache:
        cache[key] = notifications.users_with_role(session, unit_id, role, upwards=upwards)
    return cache[key]


def _case(session: Session, case_id: int) -> Case:
    """Cases of a batch, held for its length (the identity map alone holds them weakly)."""
    cache = session.info.setdefault("cases", {})
    if case_id not in cache:
        cache[case_id] = session.get(Case, case_id)
    return cache[case_id]


def _label(rule, clock: CaseClock) -> str:
    return rule.label.get("zh", clock.rule) if rule else clock.rule


def _warn(session: Session, clock: CaseClock, rule, now: datetime) -> str | None:
    clock.warned_at = now
    if not _once(session, clock, "warned", now, {"warn_at": clock.warn_at.isoformat()}):
        return None
    case = _case(session, clock.case_id)
    to = _handlers(session, clock, rule) or _role_users(session, case.unit_id, Role.UNIT_HEAD)
    notifications.notify(session, to, "warning", case, now, f"warn:{clock.id}:{clock.due_date}",
                         subject=f"即将到期：{case.number} {_label(rule, clock)}",
                         body=f"期限{clock.due_date.isoformat()}届满（{case.title}）。")
    return "warned"


def _breach(session: Session, clock: CaseClock, rule, now: datetime) -> str | None:
    clock.state, clock.breached_at = "breached", clock.due_at
    if not _once(session, clock, "breached", now, {"due_at": clock.due_at.isoformat()}):
        return None
    case = _case(session, clock.case_id)
    audit.record(session, at=now, action="clock.breached", case=case,
                 details={"clock": clock.id, "rule": clock.rule, "due": clock.due_date.isoformat()})
    to = set(_handlers(session, clock, rule)) | set(_role_users(session, case.unit_id, Role.UNIT_HEAD))
    notifications.notify(session, sorted(to), "breach", case, now, f"breach:{clock.id}:{clock.due_date}",
                         subject=f"已超期：{case.number} {_label(rule, clock)}",
                         body=f"期限{clock.due_date.isoformat()}已届满（{case.title}）。")
    return "breached"


def _escalate(session: Session, clock: CaseClock, rule, now: datetime) -> str | None:
    clock.escalated_at = now
    if not _once(session, clock, "escalated", now, {}):
        return None
    case = _case(session, clock.case_id)
    audit.record(session, at=now, action="clock.escalated", case=case,
                 details={"clock": clock.id, "rule": clock.rule, "due": clock.due_date.isoformat()})
    to = _role_users(session, case.unit_id, Role.SUPERVISOR, upwards=True)
    notifications.notify(session, to, "escalation", case, now, f"esc:{clock.id}:{clock.due_date}",
                         subject=f"超期督办提示：{case.number} {_label(rule, clock)}",
                         body=f"{case.unit.name}办理的案件已超过{clock.due_date.isoformat()}的期限。")
    return "escalated"


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
