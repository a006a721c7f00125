"""Statutory clocks on cases: started and stopped by workflow progress, paused, extended,
recomputed; each due date carries its explanation.

Workflow progress reaches this module through one call, `on_step`, made by
`instances.save` after task rows are synced. User actions (pause, resume, request and
decide extensions) are services of their own, each one transaction, audited on the case.
The scheduler's sweeps live in services/sweeps.py and only read `next_check_at`.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, insert, or_, select
from sqlalchemy.orm import Session, defer, selectinload

from engine.clocks.calendar import compute_due
from engine.clocks.catalogue import Catalogue, ClockRule, catalogue
from engine.clocks.deadlines import end_of_day, local_date, span_after, span_before, start_of_day
from engine.context import Context
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine.models import (
    CaseClock, Case, ClockEvent, ClockExtension, ClockPause, HumanTask, Role, User, WorkflowInstance,
)
from engine.services import audit, lookups
from engine.store.together import Batch
from engine.store.write_through import RowUpdate

ACTING_ROLES = {Role.OFFICER, Role.UNIT_HEAD, Role.LEGAL_REVIEWER, Role.MEDIATOR, Role.MEDIATION_HEAD}


# --- computing ------------------------------------------------------------------------------

def _rule_or_none(cat: Catalogue, clock: CaseClock) -> ClockRule | None:
    return cat.rules.get(clock.rule)


def _pauses(clock: CaseClock, today: date) -> list[tuple[date, date]]:
    """Closed periods not counted; an ongoing pause counts up to today (provisional)."""
    spans = []
    for p in clock.pauses:
        last = p.last_day if p.last_day is not None else today
        if last >= p.first_day:
            spans.append((p.first_day, last))
    return spans


def compute(cal, clock: CaseClock, rule: ClockRule | None, today: date):
    return compute_due(cal, clock.start_date, clock.length, clock.unit,
                       count_start_day=rule.count_start_day if rule else False,
                       roll_to_working_day=rule.roll_to_working_day if rule else None,
                       pauses=_pauses(clock, today), extension=clock.extension)


def _apply(cal, clock: CaseClock, rule: ClockRule | None, now: datetime) -> None:
    """Recompute the due date, explanation, warning moment and next check of an open clock."""
    due = compute(cal, clock, rule, local_date(now))
    clock.due_date = due.due
    clock.due_at = end_of_day(due.due)
    clock.explanation = {**due.to_dict(), "lines": {"zh": due.explain("zh"), "en": due.explain("en")}}
    clock.calendar_gap = bool(due.gap_years)
    clock.warn_at = None
    if rule and rule.warn_before:
        warn_day = span_before(cal, due.due, rule.warn_before.length, rule.warn_before.unit)
        clock.warn_at = max(start_of_day(warn_day), clock.started_at)
    clock.updated_at = now
    if clock.state == "breached" and clock.stopped_at is None and clock.due_at > now:
        # in time again (extension, holiday edit): a later breach is a new one, escalated anew
        clock.state, clock.breached_at, clock.escalated_at = ("extended" if clock.extension else "running"), None, None
    clock.next_check_at = next_check(cal, clock, rule)


def next_check(cal, clock: CaseClock, rule: ClockRule | None) -> datetime | None:
    """The next moment the sweep must look at the clock; None when nothing can happen."""
    if clock.stopped_at is not None or clock.state == "paused":
        return None
    if clock.state == "breached":
        if clock.escalated_at is not None:
            return None
        span = rule.escalate_after if rule else None
        day = span_after(cal, clock.due_date, span.length, span.unit) if span else clock.due_date
        return end_of_day(day)
    if clock.warn_at is not None and clock.warned_at is None and clock.warn_at < clock.due_at:
        return clock.warn_at
    return clock.due_at


_INSERT_EVENT = insert(ClockEvent.__table__)


def _event(session: Session, clock: CaseClock, at: datetime, kind: str, actor: User | None = None,
           due_before: date | None = None, details: dict | None = None, dedup: str | None = None) -> None:
    """One entry of the clock's own history, written at once (every clock has its row: see `start`)."""
    session.execute(_INSERT_EVENT, {"clock_id": clock.id, "at": at, "kind": kind,
                                    "actor_id": actor.id if actor else None, "due_before": due_before,
                                    "due_after": clock.due_date, "details": details, "dedup": dedup})


# --- workflow progress -----------------------------------------------------------------------

def on_step(session: Session, batch: Batch, case: Case, instance: WorkflowInstance, process_id: str,
            completed: set[str], opened: list[HumanTask], now: datetime, started: bool = False) -> None:
    """Start and stop the case's clocks for one saved step of `instance`; set task due dates.
    The clock rows are written with the step's other rows (`batch`).

    `completed` are the bpmn ids of the human tasks completed in the step, `opened` its new
    task rows; `started` is the instance's first save. Ending the case's main instance cancels
    what still runs of its pipeline's clocks. Only running clocks are loaded, so a step costs
    the same however many clocks the case has used up (a review clock restarts every round).
    """
    cat = catalogue()
    rules = cat.for_pipeline(process_id)
    if not rules:
        return
    opened_steps = {t.bpmn_id for t in opened}
    events = {f"process_started:{process_id}"} if started else set()
    if started and process_id == case.pipeline:
        events.add("case_opened")
    starting = [rule for rule in rules if rule.starts_on_step(events, opened_steps, completed)]
    stopping = {rule.id for rule in rules if rule.stops_on_step(completed)}
    ending = instance.status == "completed" and process_id == case.pipeline
    if not (starting or stopping or ending or opened_steps & cat.governed_steps):
        return  # nothing to start, stop or date: no query
    once = [rule.id for rule in starting if not rule.restart]
    with session.no_autoflush:  # new task rows and clocks go in with their due dates
        found = _take_found(session, case.id)
        loaded = found if found is not None and not once else _running_or_ran(session, case.id, once)
        ran = {c.rule for c in loaded}
        running = [c for c in loaded if c.stopped_at is None]
        for clock in running:
            if clock.rule in stopping:
                stop(batch, clock, now, "met")
        running = [c for c in running if c.stopped_at is None]
        cal = None
        for rule in starting:
            if any(c.rule == rule.id for c in running) or (not rule.restart and rule.id in ran):
                continue
            if cal is None:
                from engine.services.holidays import load_calendar
                cal = load_calendar(session)
            running.append(start(batch, cal, case, rule, now))
        if ending:
            pipeline_rules = {rule.id for rule in rules}
            for clock in running:
                if clock.rule in pipeline_rules:
                    stop(batch, clock, now, "cancelled")
            running = [c for c in running if c.stopped_at is None]
        set_task_due(session, case.id, cat, opened, running)


# Pauses load only if a clock stops; the explanation only if something reads it.
_RUNNING = (select(CaseClock).where(CaseClock.case_id == bindparam("case_id"), CaseClock.stopped_at.is_(None))
            .options(defer(CaseClock.explanation)))
# ... and in the same query, the clocks of once-only rules that may start now: have they run before?
_RUNNING_OR_RAN = (select(CaseClock).where(CaseClock.case_id == bindparam("case_id"), or_(
    CaseClock.stopped_at.is_(None), CaseClock.rule.in_(bindparam("rules", expanding=True))))
    .options(defer(CaseClock.explanation)))


_FOUND = "clocks.found_running"  # session.info key: (case id, its running clocks)


def found_running(session: Session, case_id: int, running: list[CaseClock]) -> None:
    """The case's running clocks, as a step's locking read found them: the step's `on_step`
    takes them instead of reading them again. Starting a clock otherwise (`on_event`, from a
    service task or a message during the step) drops them, so it reads them then."""
    session.info[_FOUND] = (case_id, running)


def _take_found(session: Session, case_id: int) -> list[CaseClock] | None:
    found_for, running = session.info.pop(_FOUND, (None, None))
    return running if found_for == case_id else None


def _running(session: Session, case_id: int) -> list[CaseClock]:
    """The case's running clocks."""
    return [c for c in session.scalars(_RUNNING, {"case_id": case_id})
            if c.stopped_at is None]  # the identity map may hold one stopped earlier in this transaction


def _running_or_ran(session: Session, case_id: int, rules: list[str]) -> list[CaseClock]:
    """The case's running clocks and every clock it ever ran of `rules` (a few once-only rules)."""
    return list(session.scalars(_RUNNING_OR_RAN, {"case_id": case_id, "rules": rules}))


def on_event(session: Session, case: Case, event: str, now: datetime) -> list[CaseClock]:
    """Start the clocks whose rule starts on a named event (e.g. `message:transfer_request`)."""
    cat = catalogue()
    started, batch = [], Batch()
    session.info.pop(_FOUND, None)
    for rule in cat.rules.values():
        if rule.start_kind in ("event", "message") and (event in rule.start_on or
                                                        event.removeprefix("message:") in rule.start_on):
            from engine.services.holidays import load_calendar
            started.append(start(batch, load_calendar(session), case, rule, now))
    batch.send(session)
    set_task_due(session, case.id, cat)
    return started


def start(batch: Batch, cal, case: Case, rule: ClockRule, now: datetime) -> CaseClock:
    clock = CaseClock(case_id=case.id, unit_id=case.unit_id, rule=rule.id, pipeline=rule.pipeline,
                      state="running", length=rule.length, unit=rule.unit, extension=0,
                      start_date=local_date(now), started_at=now, updated_at=now, pauses=[])
    _apply(cal, clock, rule, now)
    batch.insert(clock)  # its start is the row's started_at: no clock event (see ClockEvent)
    return clock


_STOPPED = RowUpdate(CaseClock.__table__, ("state", "stopped_at", "next_check_at", "updated_at", "breached_at"))


def stop(batch: Batch, clock: CaseClock, now: datetime, how: str) -> None:
    """met (the stop step was done; a breached clock stays breached), or cancelled; recorded
    in the row's stopped_at and state only, as the start is (see ClockEvent)."""
    paused = clock.state == "paused"  # only a paused clock has an open pause
    state, breached_at = clock.state, clock.breached_at
    if how == "cancelled":
        state = "cancelled"
    elif state != "breached":
        late = now >= clock.due_at
        state = "breached" if late else "met"
        breached_at = now if late else breached_at
    batch.update(_STOPPED, clock, {"state": state, "stopped_at": now, "next_check_at": None, "updated_at": now,
                                   "breached_at": breached_at})
    for pause in clock.pauses if paused else ():
        if pause.last_day is None:
            pause.last_day = local_date(now)


def set_task_due(session: Session, case_id: int, cat: Catalogue, tasks: list[HumanTask] | None = None,
                 running: list[CaseClock] | None = None) -> None:
    """Each open task governed by a running clock is due when the earliest of them is.

    `running` are the case's running clocks when the caller has them already.
    """
    if tasks is None:
        tasks = list(session.scalars(select(HumanTask).where(HumanTask.case_id == case_id,
                                                             HumanTask.state == "open")))
    tasks = [t for t in tasks if t.state == "open" and t.bpmn_id in cat.governed_steps]
    if not tasks:
        return  # the others are not ours: other services may set their due dates
    if running is None:
        running = _running(session, case_id)
    for task in tasks:
        dues = [c.due_at for c in running if c.rule in cat.rules and task.bpmn_id in cat.rules[c.rule].governs]
        task.due_at = min(dues) if dues else None


# --- recomputing -----------------------------------------------------------------------------

def recompute_for_days(session: Session, days: list[date], now: datetime, actor: User | None,
                       reason: str) -> list[dict]:
    """Recompute open clocks whose window covers any of `days` (paused ones always); list changes."""
    from engine.services.holidays import load_calendar
    cal = load_calendar(session)
    cat = catalogue()
    window = or_(*[(CaseClock.start_date <= d) & (CaseClock.due_date >= d) for d in days])
    clocks = session.scalars(select(CaseClock).where(CaseClock.stopped_at.is_(None),
                                                     or_(window, CaseClock.state == "paused"))
                             .options(selectinload(CaseClock.pauses)).order_by(CaseClock.id)).all()
    changes = []
    for clock in clocks:
        before = clock.due_date
        _apply(cal, clock, _rule_or_none(cat, clock), now)
        if clock.due_date == before:
            continue
        _event(session, clock, now, "recomputed", actor, due_before=before, details={"reason": reason})
        case = session.get(Case, clock.case_id)
        change = {"case": case.number, "clock": clock.id, "rule": clock.rule,
                  "due_before": before.isoformat(), "due_after": clock.due_date.isoformat()}
        audit.record(session, at=now, action="clock.recomputed", actor=actor, case=case,
                     before={"due": change["due_before"]}, after={"due": change["due_after"]},
                     details={"clock": clock.id, "rule": clock.rule, "reason": reason})
        set_task_due(session, clock.case_id, cat)
        changes.append(change)
    return changes


# --- user actions ------------------------------------------------------------------------------

def _load(session: Session, case: Case, rule_id: str) -> CaseClock:
    clock = session.scalar(select(CaseClock).where(CaseClock.case_id == case.id, CaseClock.rule == rule_id,
                                                   CaseClock.stopped_at.is_(None))
                           .order_by(CaseClock.id.desc()).limit(1).with_for_update())
    if clock is None:
        raise NotFound("Case {number} has no running clock {rule}.", number=case.number, rule=rule_id)
    return clock


def _actor_on_case(ctx: Context, session: Session, username: str, number: str) -> tuple[User, Case]:
    from engine.services.cases import ensure_visible
    user = lookups.user(session, username)
    case = lookups.case(session, number)
    ensure_visible(ctx, session, user, case)
    if not (user.roles & ACTING_ROLES and user.unit_id == case.unit_id) and not user.has_role(Role.SUPERVISOR):
        raise Forbidden("{username} does not handle case {number}.", username=username, number=number)
    return user, case


def _day(value: date | None, now: datetime) -> date:
    return value or local_date(now)


def pause(ctx: Context, *, username: str, number: str, rule: str, reason: str, evidence: str | None = None,
          first_day: date | None = None) -> dict:
    """Stop counting from `first_day` (default today) for a reason the rule allows."""
    with ctx.uow() as uow:
        s = uow.session
        now = ctx.clock.now()
        user, case = _actor_on_case(ctx, s, username, number)
        clock = _load(s, case, rule)
        spec = catalogue().get(rule)
        if reason not in spec.pause_reasons:
            raise Invalid("Clock {rule} cannot be paused for {reason}; allowed: {allowed}.",
                          errors={"reason": ["not allowed"]}, rule=rule, reason=reason,
                          allowed=", ".join(spec.pause_reasons) or "none")
        if clock.state == "paused":
            raise Conflict("Clock {rule} is already paused.", rule=rule)
        if clock.state == "breached":
            raise Conflict("Clock {rule} is already overdue; it cannot be paused.", rule=rule)
        day = _day(first_day, now)
        if day < clock.start_date or day > local_date(now):
            raise Invalid("A pause starts between the clock's start and today.", errors={"from": ["out of range"]})
        before = clock.due_date
        clock.pauses.append(ClockPause(reason=reason, evidence=evidence, first_day=day, paused_by_id=user.id,
                                       created_at=now))
        clock.state, clock.paused_since, clock.pause_reason = "paused", day, reason
        from engine.services.holidays import load_calendar
        _apply(load_calendar(s), clock, spec, now)
        _event(s, clock, now, "paused", user, before, {"reason": reason, "evidence": evidence,
                                                        "from": day.isoformat()})
        audit.record(s, at=now, action="clock.paused", actor=user, case=case,
                     details={"clock": clock.id, "rule": rule, "reason": reason, "evidence": evidence,
                              "from": day.isoformat()})
        set_task_due(s, case.id, catalogue())
        view = clock_view(s, clock)
        uow.commit()
        return view


def resume(ctx: Context, *, username: str, number: str, rule: str, evidence: str | None = None,
           on: date | None = None) -> dict:
    """Count again from `on` (default today): the pause covers the days before it."""
    with ctx.uow() as uow:
        s = uow.session
        now = ctx.clock.now()
        user, case = _actor_on_case(ctx, s, username, number)
        clock = _load(s, case, rule)
        if clock.state != "paused":
            raise Conflict("Clock {rule} is not paused.", rule=rule)
        day = _day(on, now)
        current = clock.pauses[-1]
        if day < current.first_day or day > local_date(now):
            raise Invalid("Resume on a day between the pause's start and today.", errors={"on": ["out of range"]})
        before = clock.due_date
        current.last_day = day - timedelta(days=1)
        current.resumed_by_id = user.id
        if evidence:
            current.evidence = "\n".join(filter(None, [current.evidence, evidence]))
        clock.state = "extended" if clock.extension else "running"
        clock.paused_since = clock.pause_reason = None
        from engine.services.holidays import load_calendar
        _apply(load_calendar(s), clock, catalogue().rules.get(rule), now)
        _event(s, clock, now, "resumed", user, before, {"on": day.isoformat(), "evidence": evidence,
                                                         "paused_days": (day - current.first_day).days})
        audit.record(s, at=now, action="clock.resumed", actor=user, case=case, before={"due": before.isoformat()},
                     after={"due": clock.due_date.isoformat()},
                     details={"clock": clock.id, "rule": rule, "on": day.isoformat(), "evidence": evidence})
        set_task_due(s, case.id, catalogue())
        view = clock_view(s, clock)
        uow.commit()
        return view


def request_extension(ctx: Context, *, username: str, number: str, rule: str, length: int, reason: str) -> dict:
    """An officer asks for `length` more units; the rule's approver role decides."""
    if not reason or not reason.strip():
        raise Invalid("A reason is required for an extension.", errors={"reason": ["required"]})
    if length <= 0:
        raise Invalid("An extension is a positive number of days.", errors={"length": ["not positive"]})
    with ctx.uow() as uow:
        s = uow.session
        now = ctx.clock.now()
        user, case = _actor_on_case(ctx, s, username, number)
        clock = _load(s, case, rule)
        spec = catalogue().get(rule)
        if not spec.max_extension:
            raise Invalid("Clock {rule} cannot be extended.", errors={"length": ["no extension"]}, rule=rule)
        if clock.extension + length > spec.max_extension:
            raise Invalid("Clock {rule} may be extended by at most {max} in all ({used} already).",
                          errors={"length": ["too long"]}, rule=rule, max=spec.max_extension, used=clock.extension)
        pending = s.scalar(select(ClockExtension.id).where(ClockExtension.clock_id == clock.id,
                                                           ClockExtension.status == "pending"))
        if pending:
            raise Conflict("An extension of clock {rule} is already waiting for a decision (#{id}).",
                           rule=rule, id=pending)
        ext = ClockExtension(clock_id=clock.id, length=length, reason=reason.strip(), requested_by_id=user.id,
                             requested_at=now)
        s.add(ext)
        s.flush()
        _event(s, clock, now, "extension_requested", user, clock.due_date,
               {"extension": ext.id, "length": length, "reason": reason})
        audit.record(s, at=now, action="clock.extension_requested", actor=user, case=case,
                     details={"clock": clock.id, "rule": rule, "extension": ext.id, "length": length,
                              "reason": reason})
        from engine.services import notifications
        approvers = notifications.users_with_role(s, case.unit_id, spec.approver)
        notifications.notify(s, approvers, "extension", case, now, f"ext:{ext.id}",
                             subject=f"延期申请：{case.number} {spec.label.get('zh', rule)}",
                             body=f"{user.full_name}申请延长{length}（{_unit_zh(clock.unit)}）：{reason}")
        view = {"extension": _extension_view(ext), "clock": clock_view(s, clock)}
        uow.commit()
        return view


def decide_extension(ctx: Context, *, username: str, extension_id: int, approve: bool, note: str = "") -> dict:
    """The approver role of the rule, in the case's unit, approves or refuses a pending request."""
    with ctx.uow() as uow:
        s = uow.session
        now = ctx.clock.now()
        user = lookups.user(s, username)
        ext = s.get(ClockExtension, extension_id, with_for_update=True)
        if ext is None:
            raise NotFound("No extension request {id}.", id=extension_id)
        clock = s.get(CaseClock, ext.clock_id, with_for_update=True)
        case = s.get(Case, clock.case_id)
        spec = catalogue().get(clock.rule)
        if not (user.has_role(spec.approver) and user.unit_id == case.unit_id):
            raise Forbidden("Only the {role} of the case's unit decides this extension.", role=spec.approver)
        if ext.status != "pending":
            raise Conflict("Extension request {id} was already {status}.", id=ext.id, status=ext.status)
        if not approve and not (note or "").strip():
            raise Invalid("A refusal needs a reason.", errors={"note": ["required"]})
        ext.status = "approved" if approve else "refused"
        ext.decided_by_id, ext.decided_at, ext.decision_note = user.id, now, note or None
        before = clock.due_date
        if approve:
            if clock.stopped_at is not None:
                raise Conflict("Clock {rule} has stopped; nothing to extend.", rule=clock.rule)
            clock.extension += ext.length
            if clock.state == "running":
                clock.state = "extended"
            from engine.services.holidays import load_calendar
            _apply(load_calendar(s), clock, spec, now)  # a breached clock in time again is "extended"
        kind = "extension_approved" if approve else "extension_refused"
        _event(s, clock, now, kind, user, before, {"extension": ext.id, "length": ext.length, "note": note})
        audit.record(s, at=now, action=f"clock.{kind}", actor=user, case=case,
                     before={"due": before.isoformat()}, after={"due": clock.due_date.isoformat()},
                     details={"clock": clock.id, "rule": clock.rule, "extension": ext.id, "length": ext.length,
                              "note": note})
        set_task_due(s, case.id, catalogue())
        from engine.services import notifications
        word = "批准" if approve else "不予批准"
        notifications.notify(s, [ext.requested_by_id], "extension", case, now, f"ext-decided:{ext.id}",
                             subject=f"延期申请{word}：{case.number}", body=note or word)
        view = {"extension": _extension_view(ext), "clock": clock_view(s, clock)}
        uow.commit()
        return view


# --- views ---------------------------------------------------------------------------------------

_UNIT_ZH = {"working_days": "工作日", "calendar_days": "日", "months": "个月"}


def _unit_zh(unit: str) -> str:
    return _UNIT_ZH.get(unit, unit)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _extension_view(ext: ClockExtension) -> dict:
    return {"id": ext.id, "length": ext.length, "reason": ext.reason, "status": ext.status,
            "requested_at": _iso(ext.requested_at), "decided_at": _iso(ext.decided_at),
            "decision_note": ext.decision_note}


def clock_view(session: Session, clock: CaseClock, extensions: list[ClockExtension] | None = None) -> dict:
    """The clock and why it is due when it is (rule, start, days counted, holidays, pauses, extensions)."""
    cat = catalogue()
    rule = cat.rules.get(clock.rule)
    if extensions is None:
        extensions = session.scalars(select(ClockExtension).where(ClockExtension.clock_id == clock.id)
                                     .order_by(ClockExtension.id)).all()
    from engine.services.holidays import gap_warning
    return {
        "id": clock.id, "rule": clock.rule, "label": rule.label if rule else {"zh": clock.rule, "en": clock.rule},
        "source": rule.source if rule else None, "verified": rule.verified if rule else None,
        "state": clock.state, "length": clock.length, "unit": clock.unit, "extension": clock.extension,
        "start_date": _iso(clock.start_date), "started_at": _iso(clock.started_at),
        "due_date": _iso(clock.due_date), "due_at": _iso(clock.due_at), "warn_at": _iso(clock.warn_at),
        "stopped_at": _iso(clock.stopped_at), "breached_at": _iso(clock.breached_at),
        "paused_since": _iso(clock.paused_since), "pause_reason": clock.pause_reason,
        "pause_reasons": list(rule.pause_reasons) if rule else [],
        "max_extension": rule.max_extension if rule else 0, "approver": rule.approver if rule else None,
        "pauses": [{"reason": p.reason, "label": cat.reason_label(p.reason), "evidence": p.evidence,
                    "from": _iso(p.first_day), "to": _iso(p.last_day)} for p in clock.pauses],
        "extensions": [_extension_view(e) for e in extensions],
        "explanation": clock.explanation.get("lines", {}),
        "computation": {k: v for k, v in clock.explanation.items() if k != "lines"},
        "warnings": [gap_warning(y) for y in clock.explanation.get("gap_years") or []],
    }


def case_clocks(session: Session, case: Case) -> list[dict]:
    clocks = session.scalars(select(CaseClock).where(CaseClock.case_id == case.id)
                             .options(selectinload(CaseClock.pauses)).order_by(CaseClock.id)).all()
    by_clock: dict[int, list[ClockExtension]] = {c.id: [] for c in clocks}
    if clocks:  # one query for every clock's extensions (a long case has a clock per review round)
        for ext in session.scalars(select(ClockExtension).join(CaseClock, ClockExtension.clock_id == CaseClock.id)
                                   .where(CaseClock.case_id == case.id).order_by(ClockExtension.id)):
            by_clock[ext.clock_id].append(ext)
    return [clock_view(session, c, by_clock[c.id]) for c in clocks]


def show(ctx: Context, number: str, viewer: str | None = None) -> list[dict]:
    """The case's clocks with their explanations (CLI, API)."""
    with ctx.uow() as uow:
        s = uow.session
        case = lookups.case(s, number)
        if viewer:
            from engine.services.cases import ensure_visible
            ensure_visible(ctx, s, lookups.user(s, viewer), case)
        return case_clocks(s, case)


def pending_extensions(ctx: Context, *, username: str) -> list[dict]:
    """Extension requests the user may decide (their role, their unit)."""
    with ctx.uow() as uow:
        s = uow.session
        user = lookups.user(s, username)
        rows = s.execute(select(ClockExtension, CaseClock, Case)
                         .join(CaseClock, ClockExtension.clock_id == CaseClock.id)
                         .join(Case, CaseClock.case_id == Case.id)
                         .where(ClockExtension.status == "pending", Case.unit_id == user.unit_id)
                         .order_by(ClockExtension.id)).all()
        cat = catalogue()
        return [{**_extension_view(e), "case": c.number, "rule": k.rule, "due_date": _iso(k.due_date)}
                for e, k, c in rows if k.rule in cat.rules and user.has_role(cat.rules[k.rule].approver)]
