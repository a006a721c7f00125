"""What the case page shows: the case, its files and its diagrams with the steps done and current."""
from __future__ import annotations

from sqlalchemy import select

from engine.context import Context
from engine.errors import NotFound
from engine.models import Case, HumanTask, WorkflowInstance
from engine.services import cases, lookups, uploads, views


def page(ctx: Context, number: str, viewer: str) -> dict:
    """Everything the case page shows, for a viewer in scope (else NotFound, audited)."""
    with ctx.uow() as uow:
        s = uow.session
        case = lookups.case(s, number)
        user = lookups.user(s, viewer)
        cases.ensure_visible(ctx, s, user, case)
        view = views.case_view(s, case)
        view["evidence"] = uploads.files_of(ctx, s, case)
        view["diagrams"] = _diagrams(s, case)
        forms = dict(s.execute(select(HumanTask.id, HumanTask.form_id).where(HumanTask.case_id == case.id)).all())
        for event in view["timeline"]:
            event["form"] = forms.get(event["task_id"])
        return view


def _diagrams(session, case: Case) -> list[dict]:
    """Per workflow instance: its definition and the bpmn ids of completed and current steps."""
    rows = session.execute(select(HumanTask.instance_id, HumanTask.bpmn_id, HumanTask.state)
                           .where(HumanTask.case_id == case.id)).all()
    out = []
    for instance in session.scalars(select(WorkflowInstance).where(WorkflowInstance.case_id == case.id)
                                    .order_by(WorkflowInstance.id)):
        mine = [r for r in rows if r.instance_id == instance.id]
        out.append({
            "instance_id": instance.id, "process_id": instance.definition.process_id,
            "version": instance.definition.version, "status": instance.status, "outcome": instance.outcome,
            "completed": sorted({r.bpmn_id for r in mine if r.state == "completed"}),
            "current": sorted({r.bpmn_id for r in mine if r.state == "open"}),
        })
    return out


def diagram_xml(ctx: Context, number: str, viewer: str, instance_id: int) -> bytes:
    """The BPMN XML an instance of the case runs on, for a viewer in scope."""
    with ctx.uow() as uow:
        s = uow.session
        case = lookups.case(s, number)
        cases.ensure_visible(ctx, s, lookups.user(s, viewer), case)
        instance = s.get(WorkflowInstance, instance_id)
        if instance is None or instance.case_id != case.id:
            raise NotFound("No workflow instance {instance_id} on this case.", instance_id=instance_id)
        return bytes(instance.definition.bpmn_xml)
