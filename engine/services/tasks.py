"""The task inbox and what users do with tasks: claim, unclaim, reassign, save a draft, complete."""
from __future__ import annotations

from typing import Callable, Union

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session, aliased, defer, joinedload
from sqlalchemy.orm.exc import StaleDataError

from engine.context import Context
from engine.errors import Conflict, Forbidden, Invalid, NotFound, TaskAlreadyCompleted
from engine.forms.definitions import FormDef
from engine.forms.jsonschema import schema_to_jsonschema
from engine.forms.schema import schema_for
from engine.forms.validation import validate_submission
from engine.models import Case, CaseClock, HumanTask, Role, User, WorkflowInstance
from engine.models.workflow import OPEN
from engine import assignment
from engine.store import together
from engine.store.write_through import RowUpdate, Write
from engine.services import access, audit, clocks, holidays, inbox, instances, lookups, views

TABS = ("all", "mine", "group")


def _inbox_query(user: User, tab: str):
    """The web inbox's tab conditions and scope rules (engine/services/inbox.py); "all" joins two tabs."""
    tabs = ("mine", "group") if tab == "all" else (tab,)
    where = or_(*(inbox.tab_condition(user, t) for t in tabs))
    return (select(HumanTask).where(HumanTask.state == OPEN, where, *assignment.task_scope(user))
            .order_by(*inbox.sort_order("due")))


def list_tasks(ctx: Context, *, username: str, tab: str = "all", limit: int = 100) -> list[dict]:
    """Open tasks assigned to the user ("mine"), claimable by them ("group"), or both."""
    if tab not in TABS:
        raise Invalid("Unknown inbox tab {tab}; choose one of {choices}.", errors={"tab": ["unknown"]},
                      tab=tab, choices=", ".join(TABS))
    with ctx.uow() as uow:
        user = lookups.user(uow.session, username)
        rows = uow.session.scalars(_inbox_query(user, tab).limit(limit)).all()
        return views.task_rows_view(uow.session, list(rows))


def _visible_task(ctx: Context, session: Session, user: User | None, task_id: int) -> HumanTask:
    task = lookups.task(session, task_id)
    check_visible(ctx, session, user, task)
    return task


def check_visible(ctx: Context, session: Session, user: User | None, task: HumanTask,
                  case: Case | None = None) -> None:
    """Out-of-scope tasks do not exist for the user; the attempt is audited."""
    hidden = user is not None and (task.unit_id not in access.visible_unit_ids(session, user)
                                   or not assignment.may_see(session, user, case or _case(session, task)))
    if hidden:
        audit.record(session, at=ctx.clock.now(), action="access.denied", actor=user,
                     case=case or _case(session, task), details={"task_id": task.id})
        session.commit()
        raise NotFound("No task {task_id}.", task_id=task.id)


def show_task(ctx: Context, task_id: int, username: str | None = None) -> dict:
    """The task, its case, its role and its form as JSON Schema (for other tools and the API)."""
    with ctx.uow() as uow:
        s = uow.session
        user = lookups.user(s, username) if username else None
        task = _visible_task(ctx, s, user, task_id)
        form = ctx.forms.get(task.form_id)
        [row] = views.task_rows_view(s, [task])
        case = _case(s, task)
        return {
            **row,
            "data": task.data, "draft": task.draft,
            "case_summary": views.case_summary(case),
            "form_schema": schema_to_jsonschema(schema_for(form), form.title),
            "earlier": _earlier_data(s, task),
        }


def _earlier_data(session: Session, task: HumanTask) -> dict:
    """The latest submitted data of every earlier step of the case, by form id."""
    latest = (select(func.max(HumanTask.id)).where(HumanTask.case_id == task.case_id,
                                                   HumanTask.state == "completed")
              .group_by(HumanTask.form_id))
    rows = session.execute(select(HumanTask.form_id, HumanTask.data).where(HumanTask.id.in_(latest))).all()
    return {form_id: data for form_id, data in rows if form_id}


def _lock_step_statement(with_state: bool):
    """Built once: a fresh alias per call would cost more than running the query."""
    earlier = aliased(HumanTask)
    previous = (select(earlier.data).where(earlier.case_id == HumanTask.case_id, earlier.form_id == HumanTask.form_id,
                                           earlier.state == "completed")
                .order_by(earlier.id.desc()).limit(1).correlate(HumanTask).scalar_subquery())
    running = aliased(CaseClock)
    return (select(HumanTask, WorkflowInstance, Case, previous, User, running, holidays.table_content())
            .join(WorkflowInstance, HumanTask.instance_id == WorkflowInstance.id)
            .join(Case, HumanTask.case_id == Case.id)
            .join(User, User.username == bindparam("username"))
            .outerjoin(running, and_(running.case_id == Case.id, running.stopped_at.is_(None)))
            .options(joinedload(User.role_rows), defer(running.explanation),
                     *(() if with_state else (defer(WorkflowInstance.state),)))
            .where(HumanTask.id == bindparam("task_id"))
            .with_for_update(of=[HumanTask, WorkflowInstance])
            .execution_options(populate_existing=True))


_LOCK_STEP = {True: _lock_step_statement(with_state=True), False: _lock_step_statement(with_state=False)}


def _lock_step(session: Session, task_id: int, username: str, with_state: bool = True
               ) -> tuple[HumanTask, WorkflowInstance, Case, dict | None, User]:
    """A task with its instance, case and previous submission, and the acting user with their
    roles, in one query; task and instance locked for update. Writers of one instance queue on
    the lock and then read what the previous one committed. The previous submission is what
    this step's form said the last time the case passed here (loops, returns). Without
    `with_state` the instance's stored state (~20 KB) is left out, for a workflow kept in memory.
    The case's running clocks come in the same query (a row per clock and role of the user),
    kept for the step's clocks (`clocks.found_running`), as does the holiday table's content,
    for the calendar of the clocks the step starts (`holidays.seen`).
    """
    rows = (session.execute(_LOCK_STEP[with_state], {"task_id": task_id, "username": username})
            .unique(lambda r: r[5] and r[5].id).all())  # a row per clock and role before unique()
    if not rows or not rows[0][4].active:
        lookups.user(session, username)  # raises if that is what is missing
        raise NotFound("No task {task_id}.", task_id=task_id)
    task, instance, case, previous, user, _, holiday_table = rows[0]
    holidays.seen(session, holiday_table)
    clocks.found_running(session, case.id, [r[5] for r in rows if r[5] is not None])
    return task, instance, case, previous, user


def claim(ctx: Context, *, username: str, task_id: int) -> dict:
    with ctx.uow() as uow:
        s = uow.session
        now = ctx.clock.now()
        user = lookups.user(s, username)
        task = _visible_task(ctx, s, user, task_id)
        _ensure_not_pinned(task)
        if not access.can_take(user, task):
            raise Forbidden("Task {task_id} needs the role {role} in its unit.", task_id=task_id, role=task.role)
        # One conditional UPDATE: of two users claiming at once, exactly one matches.
        claimed = s.execute(update(HumanTask).where(
            HumanTask.id == task_id, HumanTask.state == "open", HumanTask.assignee_id.is_(None))
            .values(assignee_id=user.id, claimed_at=now)).rowcount
        if not claimed:
            s.refresh(task)
            if task.state != "open":
                raise TaskAlreadyCompleted("Task {task_id} is already completed.", task_id=task_id)
            if task.assignee_id == user.id:
                raise Conflict("You already hold task {task_id}.", task_id=task_id)
            raise Conflict("Task {task_id} has already been claimed by someone else.", task_id=task_id)
        s.refresh(task)
        view = _holder_changed(s, now, user, task, "task.claimed", None, username)
        uow.commit()
    return view


def unclaim(ctx: Context, *, username: str, task_id: int) -> dict:
    with ctx.uow() as uow:
        s = uow.session
        now = ctx.clock.now()
        user = lookups.user(s, username)
        task = _visible_task(ctx, s, user, task_id)
        _ensure_open(task)
        _ensure_not_pinned(task)
        if task.assignee_id != user.id:
            raise Forbidden("Only the holder can release task {task_id}.", task_id=task_id)
        task.assignee_id, task.claimed_at = None, None
        view = _holder_changed(s, now, user, task, "task.unclaimed", username, None)
        uow.commit()
    return view


def reassign(ctx: Context, *, username: str, task_id: int, to_username: str, reason: str) -> dict:
    """A unit head (their unit) or supervisor (their scope) hands a task to a suitable user."""
    if not reason or not reason.strip():
        raise Invalid("A reason is required to reassign a task.", errors={"reason": ["required"]})
    with ctx.uow() as uow:
        s = uow.session
        now = ctx.clock.now()
        user = lookups.user(s, username)
        task = _visible_task(ctx, s, user, task_id)
        _ensure_open(task)
        _ensure_not_pinned(task)
        if not (user.has_role(Role.UNIT_HEAD) and user.unit_id == task.unit_id) and not user.has_role(Role.SUPERVISOR):
            raise Forbidden("Only the unit head or a supervisor may reassign tasks.")
        target = lookups.user(s, to_username)
        if not access.can_take(target, task):
            raise Invalid("{to} cannot take this task: it needs the role {role} in unit {unit}.",
                          errors={"to": ["unsuitable"]}, to=to_username, role=task.role, unit=task.unit_id)
        before = views.task_rows_view(s, [task])[0]["assignee"]
        task.assignee_id, task.claimed_at = target.id, now
        view = _holder_changed(s, now, user, task, "task.reassigned", before, to_username, {"reason": reason})
        uow.commit()
    return view


def _holder_changed(session: Session, now, actor: User, task: HumanTask, action: str,
                    before: str | None, after: str | None, details: dict | None = None) -> dict:
    """Audit a change of who holds the task; returns the task's row view."""
    audit.record(session, at=now, action=action, actor=actor, case=_case(session, task), task=task,
                 before={"assignee": before}, after={"assignee": after}, details=details)
    [view] = views.task_rows_view(session, [task])
    return view


# What a form posted: its data, or a function that reads it by the task's form definition (a web
# form's fields are parsed by the form they belong to, which the task service looks up anyway).
Posted = Union[dict, Callable[[FormDef], dict]]


def _posted_data(form: FormDef, posted: Posted):
    return posted(form) if callable(posted) else posted


def save_draft(ctx: Context, *, username: str, task_id: int, data: Posted) -> dict:
    """Keep partial input without validating or completing it."""
    with ctx.uow() as uow:
        s = uow.session
        user = lookups.user(s, username)
        task = _visible_task(ctx, s, user, task_id)
        _ensure_open(task)
        access.ensure_can_complete(user, task)
        form = ctx.forms.get(task.form_id)
        data = _posted_data(form, data)
        if not isinstance(data, dict):
            raise Invalid("Form data must be an object of field values.", errors={"_schema": ["not an object"]})
        known = {f.name for f in form.fields}
        task.draft = {k: v for k, v in data.items() if k in known}
        [view] = views.task_rows_view(s, [task])
        uow.commit()
    return view


def complete(ctx: Context, *, username: str, task_id: int, data: Posted) -> dict:
    """Validate the form, run the workflow on, persist and audit: all or nothing."""
    with ctx.uow() as uow:
        s = uow.session
        now = ctx.clock.now()
        task, instance, case, previous, user = _lock_step(s, task_id, username,
                                                          with_state=not ctx.runs.likely_holds(task_id))
        check_visible(ctx, s, user, task, case)
        _ensure_open(task)
        access.ensure_can_complete(user, task)
        form = ctx.forms.get(task.form_id)
        submission = validate_submission(form, _posted_data(form, data))
        # Held back to go with the step's last write; sent before any operator of the step runs,
        # so what the step triggers follows it in the timeline.
        _mark_completed(s, task, user, submission.json, now, audit.inserting(
            at=now, action="task.completed", actor_id=user.id, case_id=case.id, task_id=task.id,
            before=previous, after=submission.json, details={"step": task.bpmn_id}))
        run = instances.load(ctx, s, instance, case, now, user)
        run.complete(task.spiff_task_id, {task.form_id: submission.typed})
        opened = instances.save(s, instance, case, run, now, ctx=ctx, actor=user)
        if instance.status == "completed":
            audit.append(s, at=now, action="workflow.ended", actor_id=user.id, case_id=case.id,
                         details={"outcome": instance.outcome})
        result = {"task": views.task_brief(task), "next_tasks": [views.task_brief(t) for t in opened],
                  "case": {"number": case.number, "status": case.status, "stage": case.stage}}
        try:
            uow.commit()
        except StaleDataError:
            raise TaskAlreadyCompleted("Task {task_id} was completed by someone else meanwhile.",
                                       task_id=task_id) from None
    return result


_COMPLETION = RowUpdate(HumanTask.__table__, (
    "state", "completed_at", "completed_by_id", "data", "draft", "assignee_id", "claimed_at"), guards=("state",))


def _mark_completed(session: Session, task: HumanTask, user: User, data: dict, now, audited: Write) -> None:
    """The task row as completed by `user` (who holds it now if nobody did), if still open,
    with its audit event (`audited`): held back (`together.held`) for the step's next batch."""
    holder = (task.assignee_id, task.claimed_at) if task.assignee_id is not None else (user.id, now)
    values = {"state": "completed", "completed_at": now, "completed_by_id": user.id, "data": data,
              "draft": None, "assignee_id": holder[0], "claimed_at": holder[1]}
    batch = together.held(session)
    batch.add(audited)
    batch.update(_COMPLETION, task, values, state="open", on_miss=TaskAlreadyCompleted(
        "Task {task_id} was completed by someone else meanwhile.", task_id=task.id))


def _ensure_not_pinned(task: HumanTask) -> None:
    """Tasks an assignment rule gives to one person (a dispute's mediator) move only by that rule."""
    if assignment.is_pinned(task):
        raise Forbidden("Task {task_id} belongs to the person assigned to it ({role}); it cannot be claimed, "
                        "released or handed over here.", task_id=task.id, role=task.role)


def _ensure_open(task: HumanTask) -> None:
    if task.state != "open":
        raise TaskAlreadyCompleted("Task {task_id} is already {state}.", task_id=task.id, state=task.state)


def _case(session: Session, task: HumanTask) -> Case:
    return session.get(Case, task.case_id)
