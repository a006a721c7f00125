"""Plain, JSON-ready dicts of the domain objects, shared by the CLI, the web and the API."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import AuditEvent, Case, HumanTask, User, WorkflowInstance


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _usernames(session: Session, ids: set[int | None]) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())


def user_view(user: User) -> dict:
    return {
        "username": user.username, "full_name": user.full_name, "unit": user.unit.code,
        "unit_name": user.unit.name, "roles": sorted(r.value for r in user.roles), "active": user.active,
    }


def task_row_view(task: HumanTask, case: Case, names: dict[int, str]) -> dict:
    return {
        "id": task.id, "name": task.name, "step": task.bpmn_id, "form": task.form_id, "role": task.role,
        "state": task.state, "case": case.number, "case_title": case.title, "pipeline": case.pipeline,
        "unit": case.unit.code, "assignee": names.get(task.assignee_id), "created_at": iso(task.created_at),
        "claimed_at": iso(task.claimed_at), "completed_at": iso(task.completed_at),
        "completed_by": names.get(task.completed_by_id), "due_at": iso(task.due_at), "priority": task.priority,
    }


def task_brief(task: HumanTask) -> dict:
    """What a step's result needs of a task, without touching the database."""
    return {"id": task.id, "name": task.name, "step": task.bpmn_id, "form": task.form_id, "role": task.role,
            "state": task.state, "assignee_id": task.assignee_id, "due_at": iso(task.due_at)}


def task_rows_view(session: Session, rows: list[HumanTask]) -> list[dict]:
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_({r.case_id for r in rows})))}
    names = _usernames(session, {r.assignee_id for r in rows} | {r.completed_by_id for r in rows})
    return [task_row_view(r, cases[r.case_id], names) for r in rows]


def case_summary(case: Case) -> dict:
    return {
        "number": case.number, "pipeline": case.pipeline, "unit": case.unit.code, "unit_name": case.unit.name,
        "title": case.title, "status": case.status, "stage": case.stage, "is_major": case.is_major,
        "opened_at": iso(case.opened_at), "closed_at": iso(case.closed_at),
        "numbers": [{"kind": n.kind, "number": n.number, "issued_by": n.issued_by} for n in case.numbers],
        "rights": [{"ip_type": r.ip_type.value, "number": r.number, "holder": r.holder, "title": r.title}
                   for r in case.rights],
        "parties": [{"role": p.role.value, "kind": p.kind.value, "name": p.name, "uscc": p.uscc}
                    for p in case.parties],
    }


def case_view(session: Session, case: Case) -> dict:
    tasks = session.scalars(select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.state == "open")
                            .order_by(HumanTask.id)).all()
    events = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id)
                             .order_by(AuditEvent.at, AuditEvent.id)).all()
    instances = session.scalars(select(WorkflowInstance).where(WorkflowInstance.case_id == case.id)
                                .order_by(WorkflowInstance.id)).all()
    names = _usernames(session, {e.actor_id for e in events})
    task_names = dict(session.execute(select(HumanTask.id, HumanTask.name).where(
        HumanTask.id.in_({e.task_id for e in events if e.task_id}))).all()) if events else {}
    return {
        **case_summary(case),
        "open_tasks": task_rows_view(session, list(tasks)),
        "instances": [{"process_id": i.definition.process_id, "version": i.definition.version,
                       "status": i.status, "outcome": i.outcome, "started_at": iso(i.started_at),
                       "completed_at": iso(i.completed_at)} for i in instances],
        "path": "/cases/" + quote(case.number, safe=""),
        **transfer_history(session, case, instances, events),
        "timeline": [{"at": iso(e.at), "actor": names.get(e.actor_id), "action": e.action,
                      "task": task_names.get(e.task_id), "task_id": e.task_id, "before": e.before,
                      "after": e.after, "details": e.details} for e in events],
        **_clock_sections(session, case),
    }


def _clock_sections(session: Session, case: Case) -> dict:
    """Statutory clocks (with explanations) and supervision orders of the case."""
    from engine.services import clocks, supervision  # they import this module's neighbours
    return {"clocks": clocks.case_clocks(session, case), "supervision_orders": supervision.case_orders(session, case)}


# Which message started a transfer instance tells its kind (workflows/transfer.bpmn).
TRANSFER_KINDS = {"criminal_transfer": "criminal", "jurisdiction_transfer": "jurisdiction",
                  "civil_referral": "mediation"}


def transfer_history(session: Session, case: Case, instances: list, events: list) -> dict:
    """Transfers of the case, their packages and the mediation results it received."""
    from engine.models import TransferPackage

    started = {e.details["to_instance"]: e.details["message"] for e in events
               if e.action == "message.delivered" and e.details and e.details.get("started")}
    packages = session.scalars(select(TransferPackage).where(TransferPackage.case_id == case.id)
                               .order_by(TransferPackage.id)).all()
    return {
        "transfers": [{"kind": TRANSFER_KINDS.get(started.get(i.id)), "status": i.status, "outcome": i.outcome,
                       "started_at": iso(i.started_at)}
                      for i in instances if i.definition.process_id == "transfer"],
        "transfer_packages": [{"id": p.id, "kind": p.kind, "recipient": p.recipient, "created_at": iso(p.created_at),
                               "zip_sha256": p.zip_sha256, "files": len(p.manifest)} for p in packages],
        "mediation": [e.details["payload"] for e in events if e.action == "message.delivered" and e.details
                      and e.details.get("message") == "mediation_result"],
    }
