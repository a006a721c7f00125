"""Run a case's workflow instance inside the caller's transaction and mirror its tasks as rows."""
from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Callable

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from engine import assignment
from engine.context import Context
from engine.models import Case, HumanTask, Unit, User, WorkflowInstance
from engine.runtime import timers as step_timers
from engine.runtime.script_engine import OperatorScriptEngine
from engine.runtime.specs import HumanStep
from engine.runtime.stepper import Message, WorkflowFailed, WorkflowRun
from engine.runtime.warm_runs import WarmRuns
from engine.store import after_commit, together
from engine.store.together import Batch
from engine.store.write_through import RowUpdate
from engine.services import clocks, definitions, messages
from engine.services.operators import operators_for


def _script_engine(session: Session, case: Case, now: datetime, actor: User | None,
                   ctx: Context | None = None) -> OperatorScriptEngine:
    step_timers.use_time(now)  # BPMN timers reached or fired in this step use the engine's clock
    return OperatorScriptEngine(operators_for(session, case, now, actor, ctx.settings if ctx else None),
                                before_operator=partial(together.send_held, session))


def initial_data(case: Case) -> dict:
    right = case.rights[0] if case.rights else None
    return {"case": {
        "number": case.number, "unit": case.unit.code, "pipeline": case.pipeline,
        "ip_type": right.ip_type.value if right else None, "is_major": case.is_major,
    }}


def start(ctx: Context, session: Session, case: Case, process_id: str, now: datetime,
          actor: User | None, message: Message | None = None,
          on_created: Callable[[WorkflowInstance], None] | None = None,
          depth: int = 0) -> tuple[WorkflowInstance, list[HumanTask]]:
    """Start the latest version of `process_id` for the case; returns it and its first tasks.

    With `message`, the new instance takes it at its message start event (services/messages.py);
    `on_created` runs once the instance row exists, before the message is delivered.
    """
    definition = definitions.latest(session, process_id)
    specs = definitions.specs_of(definition)
    run = WorkflowRun.start(specs, initial_data(case), _script_engine(session, case, now, actor, ctx),
                            ctx.settings.rewind_depth)
    instance = WorkflowInstance(case_id=case.id, definition=definition, state="", started_at=now, updated_at=now)
    session.add(instance)
    session.flush()
    if message is not None:
        if on_created is not None:
            on_created(instance)
        run.deliver(message.name, message.payload)
    return instance, save(session, instance, case, run, now, ctx=ctx, actor=actor, depth=depth)


def load(ctx: Context, session: Session, instance: WorkflowInstance, case: Case, now: datetime,
         actor: User | None) -> WorkflowRun:
    """The instance's workflow as of the row read: kept in memory since this process saved it, or loaded."""
    script_engine = _script_engine(session, case, now, actor, ctx)
    kept = ctx.runs.take(instance.id, instance.version)
    if kept is not None:
        return WorkflowRun.resume(kept.workflow, script_engine, ctx.settings.rewind_depth, kept.ready)
    specs = definitions.specs_by_id(session, instance.definition_id)
    return WorkflowRun.load(_state(session, instance), specs, script_engine, ctx.settings.rewind_depth)


_STATE = select(WorkflowInstance.state).where(WorkflowInstance.id == bindparam("instance_id"))


def _state(session: Session, instance: WorkflowInstance) -> str:
    """The stored state; read now if the row was read without it (tasks._lock_step expected
    the workflow kept in memory, and another process has moved the instance on since)."""
    if "state" not in instance.__dict__:
        set_committed_value(instance, "state", session.scalar(_STATE, {"instance_id": instance.id}))
    return instance.state


def save(session: Session, instance: WorkflowInstance, case: Case, run: WorkflowRun, now: datetime,
         ctx: Context | None = None, actor: User | None = None, depth: int = 0) -> list[HumanTask]:
    """Persist the instance state and sync task rows; returns the newly opened tasks.

    Messages the step threw are delivered afterwards, in the same transaction (needs `ctx`).
    """
    outbox = run.drain_messages()
    # The step's row writes go together at the end (one statement on PostgreSQL); the objects
    # take their new values at once, for the clocks and the case to see.
    batch = Batch()
    batch.update(_INSTANCE_STATE, instance, _instance_values(instance, run, now), version=instance.version,
                 on_miss=StaleDataError(f"Workflow instance {instance.id} was changed by another transaction."))
    process_id = definitions.process_id_of(session, instance.definition_id)
    opened, ready = _sync_tasks(session, instance, process_id, case, run, now)
    if ctx is not None:  # the next step of this instance in this process starts from it
        after_commit.add(session, partial(_keep_warm, ctx.runs, instance.id, instance.version, run, opened, ready))
    case_values = _case_progress(session, case, instance, opened, now)
    if case_values is not None:
        batch.update(_CASE_PROGRESS, case, case_values)
    clocks.on_step(session, batch, case, instance, process_id, set(run.completed_steps), opened, now,
                   started=run.is_new)
    for row in opened:  # with their due dates set
        batch.insert(row)
    batch.send(session)
    session.flush()  # what else the step added (numbers, messages' records)
    if outbox:
        messages.deliver_all(ctx, session, case, instance, outbox, now, actor, depth)
    return opened


def _keep_warm(runs: WarmRuns, instance_id: int, version: int, run: WorkflowRun, opened: list[HumanTask],
               ready: set[str]) -> None:
    """After commit: the workflow at the version written, and which open task rows lead to it."""
    runs.keep(instance_id, version, run.workflow, {row.id: row.spiff_task_id for row in opened}, ready)


_INSTANCE_STATE = RowUpdate(WorkflowInstance.__table__, (
    "state", "version", "updated_at", "next_timer_at", "status", "outcome", "completed_at"), guards=("version",))


def _instance_values(instance: WorkflowInstance, run: WorkflowRun, now: datetime) -> dict:
    """The run's state, next timer and end, as the instance row's next version (written
    if the row is still at the version this transaction read)."""
    completed = run.is_completed()
    return {"state": run.dump(), "version": instance.version + 1, "updated_at": now,
            "next_timer_at": run.next_timer_due(),
            "status": "completed" if completed else instance.status,
            "outcome": run.outcome() if completed else instance.outcome,
            "completed_at": now if completed else instance.completed_at}


def _sync_tasks(session: Session, instance: WorkflowInstance, process_id: str, case: Case, run: WorkflowRun,
                now: datetime) -> tuple[list[HumanTask], set[str]]:
    """One open row per READY human task: close the rows of tasks that are gone; the new ones
    (not yet written), and the spiff ids of all READY human tasks."""
    ready = {r.spiff_id: r for r in run.ready_human_tasks()}
    still_open = run.open_at_load()
    gone = still_open - ready.keys()
    if gone:  # e.g. a boundary event or gateway withdrew a task
        session.execute(update(HumanTask).where(
            HumanTask.instance_id == instance.id, HumanTask.state == "open", HumanTask.spiff_task_id.in_(gone))
            .values(state="cancelled", completed_at=now))
    opened = []
    for spiff_id, ready_task in ready.items():
        if spiff_id in still_open:
            continue
        step = ready_task.step
        row = HumanTask(case_id=case.id, instance_id=instance.id, spiff_task_id=spiff_id,
                        bpmn_id=step.bpmn_id, name=step.name, form_id=step.form_id, role=step.role,
                        unit_id=task_unit_id(session, case, step, ready_task.data), priority=case.priority,
                        ip_types=case.ip_types, created_at=now, state="open")
        assignment.apply(session, process_id, case, instance, row, now)  # per (process, role) routing rules
        opened.append(row)
    return opened, set(ready)


def task_unit_id(session: Session, case: Case, step: HumanStep, data: dict) -> int:
    """The unit whose inbox gets the task: the case's, unless the diagram names another.

    Extension property `unit` (workflows/README.md): `superior` is the case unit's parent
    (the city bureau for a county), `form.field` names a unit code in the task data.
    """
    if not step.unit:
        return case.unit_id
    if step.unit == "superior":
        return case.unit.parent_id or case.unit_id
    form_id, _, field = step.unit.partition(".")
    code = (data.get(form_id) or {}).get(field) if isinstance(data.get(form_id), dict) else None
    unit = session.scalar(select(Unit).where(Unit.code == code)) if code else None
    if unit is None:
        raise WorkflowFailed("Task {task} goes to the unit named by {path}, but that is {code!r}, no known unit.",
                             task=step.bpmn_id, path=step.unit, code=code)
    return unit.id


_CASE_PROGRESS = RowUpdate(Case.__table__, ("stage", "status", "closed_at"))


def _case_progress(session: Session, case: Case, instance: WorkflowInstance, opened: list[HumanTask],
                   now: datetime) -> dict | None:
    """The case's stage is its newest task's step; it closes when its last instance ends.
    The values to write, or None when nothing changes."""
    values = {"stage": opened[-1].bpmn_id if opened else case.stage, "status": case.status,
              "closed_at": case.closed_at}
    if instance.status == "completed":
        still_running = session.scalar(select(WorkflowInstance.id).where(
            WorkflowInstance.case_id == case.id, WorkflowInstance.id != instance.id,
            WorkflowInstance.status == "running").limit(1))
        if still_running is None:  # a transfer keeps it open by running its own instance
            values = {"stage": None, "status": instance.outcome or "completed", "closed_at": now}
    if all(getattr(case, column) == value for column, value in values.items()):
        return None
    return values


def lock(session: Session, instance_id: int) -> WorkflowInstance:
    """Load the instance row for update: writers of one instance queue here."""
    return session.scalars(select(WorkflowInstance).where(WorkflowInstance.id == instance_id)
                           .with_for_update()).one()


def current_instance(session: Session, case: Case) -> WorkflowInstance | None:
    return session.scalar(select(WorkflowInstance).where(WorkflowInstance.case_id == case.id)
                          .order_by(WorkflowInstance.id.desc()).limit(1))


def assign_first_task(tasks: list[HumanTask], user: User, now: datetime) -> None:
    """The person who opens a case holds its first step when they have its role."""
    for task in tasks:
        if task.assignee_id is None and user.unit_id == task.unit_id and user.has_role(task.role):
            task.assignee_id = user.id
            task.claimed_at = now
