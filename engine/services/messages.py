"""The message bus between a case's workflow instances.

An instance that throws a BPMN message (intermediate throw or message end event) leaves
it in its outbox; `instances.save` drains the outbox and hands each message here, in the
same transaction. A message goes to the case's running instance that waits for it (an
intermediate catch or receive task), else starts the latest version of the process whose
message start event names it. Nobody waiting and nobody starting is an error: the step
fails and nothing is saved. Messages never leave their case: the case is the
correlation, so diagrams need no correlation keys.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.context import Context
from engine.models import Case, User, WorkflowDefinition, WorkflowInstance
from engine.runtime.specs import message_starts
from engine.runtime.stepper import Message, WorkflowFailed
from engine.services import audit, definitions

# A message that triggers a message that triggers ... stops here (a diagram defect).
MAX_CHAIN = 20


def deliver_all(ctx: Context | None, session: Session, case: Case, sender: WorkflowInstance,
                outbox: list[Message], now: datetime, actor: User | None, depth: int = 0) -> None:
    if ctx is None:
        raise WorkflowFailed("Instance {instance} threw {names} but was saved without a message bus.",
                             instance=sender.id, names=", ".join(m.name for m in outbox))
    if depth > MAX_CHAIN:
        raise WorkflowFailed("Messages of case {number} keep triggering each other ({name}).",
                             number=case.number, name=outbox[0].name)
    for message in outbox:
        deliver(ctx, session, case, sender, message, now, actor, depth)



def deliver(ctx: Context, session: Session, case: Case, sender: WorkflowInstance | None, message: Message,
            now: datetime, actor: User | None, depth: int = 0) -> WorkflowInstance:
    """Deliver one message (`sender` None: posted by a user action); returns the instance that took it."""
    from engine.services import instances  # instances imports this module

    sender_process = _process_of(session, sender) if sender else None
    for candidate in _running(session, case, exclude=sender.id if sender else None):
        instance = instances.lock(session, candidate.id)
        run = instances.load(ctx, session, instance, case, now, actor)
        if run.waits_for(message.name):
            _audit(session, case, now, actor, message, sender_process, sender, instance, started=False)
            run.deliver(message.name, message.payload)
            instances.save(session, instance, case, run, now, ctx=ctx, actor=actor, depth=depth + 1)
            _delivered(session, case, message, now, actor)
            return instance
    process_id = starter(session, message.name)
    if process_id is None:
        raise WorkflowFailed(
            "Message {name} from {process} has nowhere to go: no instance of case {number} waits for it "
            "and no deployed process starts on it.",
            name=message.name, process=sender_process or "a user action", number=case.number)

    def audit_start(instance: WorkflowInstance) -> None:
        _audit(session, case, now, actor, message, sender_process, sender, instance, started=True)

    instance, _ = instances.start(ctx, session, case, process_id, now, actor, message=message,
                                  on_created=audit_start, depth=depth + 1)
    _delivered(session, case, message, now, actor)
    return instance


def _delivered(session: Session, case: Case, message: Message, now: datetime, actor: User | None) -> None:
    """What else follows a delivery: the case's clocks (clocks.yaml rules that start on a
    message, and the pause of the case's own clocks across a criminal transfer)."""
    from engine.services import clocks, transfer_clocks

    clocks.on_event(session, case, f"message:{message.name}", now)
    transfer_clocks.on_message(session, case, message.name, now, actor)


def post(ctx: Context, session: Session, case: Case, name: str, payload: dict, now: datetime,
         actor: User | None) -> WorkflowInstance:
    """A message from outside the diagrams (a user action on the case), delivered like a thrown one."""
    return deliver(ctx, session, case, None, Message(name, payload), now, actor)


def starter(session: Session, name: str) -> str | None:
    """The process (latest deployed version) with a message start event for `name`."""
    latest = (select(WorkflowDefinition.process_id, func.max(WorkflowDefinition.version).label("version"))
              .group_by(WorkflowDefinition.process_id).subquery())
    rows = session.scalars(select(WorkflowDefinition).join(
        latest, (WorkflowDefinition.process_id == latest.c.process_id)
        & (WorkflowDefinition.version == latest.c.version)).order_by(WorkflowDefinition.process_id)).all()
    for definition in rows:
        if name in message_starts(definitions.specs_of(definition)):
            return definition.process_id
    return None


def _process_of(session: Session, instance: WorkflowInstance) -> str:
    return session.get(WorkflowDefinition, instance.definition_id).process_id


def _running(session: Session, case: Case, exclude: int | None) -> list[WorkflowInstance]:
    query = select(WorkflowInstance).where(WorkflowInstance.case_id == case.id,
                                           WorkflowInstance.status == "running")
    if exclude is not None:
        query = query.where(WorkflowInstance.id != exclude)
    return list(session.scalars(query.order_by(WorkflowInstance.id)))


def _audit(session: Session, case: Case, now: datetime, actor: User | None, message: Message,
           sender_process: str | None, sender: WorkflowInstance | None, receiver: WorkflowInstance,
           started: bool) -> None:
    audit.record(session, at=now, action="message.delivered", actor=actor, case=case, details={
        "message": message.name,
        "from_process": sender_process, "from_instance": sender.id if sender else None,
        "to_process": _process_of(session, receiver), "to_instance": receiver.id,
        "started": started, "payload": _jsonable(message.payload),
    })


def _jsonable(value):
    """Message payloads hold task data (dates, decimals): keep them readable in the audit log."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
