"""Mediation disputes: their record, how their tasks are routed and who sees them.

A mediation runs as a `mediation` workflow instance, started by the `mediation_referral`
message: for a mediation case (pipeline `mediation`, number kind 调) the engine sends it when
the case is opened; for an enforcement case whose civil part is referred, transfer.bpmn
throws it and the mediation runs as another instance of that case. Each has a `Mediation` row:
the source and court details, the assigned mediator, the outcome. The diagram's service tasks
are in mediation_steps.py.

Routing (see engine/assignment/): tasks of the `mediator` lane go to the dispute's
assigned mediator only (or the substitute named for their absence), never to the group;
tasks of both lanes are routed to the unit hosting the mediation centre.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.assignment.registry import Routing
from engine.errors import Conflict, Forbidden, Invalid
from engine.models import Case, HumanTask, Mediation, PartyRole, Role, Unit, User, UserRole, WorkflowInstance
from engine.runtime.stepper import Message
from engine.services import access, audit
from engine.services.mediation_roster import PartyRef, case_parties, handler_for

COURT_SOURCES = ("court_assigned", "court_entrusted")
SOURCES = ("party", "enforcement", *COURT_SOURCES)
REFERRAL_MESSAGE = "mediation_referral"  # starts mediation.bpmn (transfer.bpmn throws it too)
RESULT_MESSAGE = "mediation_result"      # thrown at the end when the referring process waits
MEDIATION_FIELDS = ("source", "court_name", "court_case_number", "court_deadline", "court_procedure",
                    "referring_case", "technical_field", "languages", "dispute")


# ------------------------------------------------------------------ the record
def centre_unit_for(session: Session, unit: Unit) -> Unit:
    """The nearest unit, from `unit` upwards, with an active mediation centre head."""
    current = unit
    while current is not None:
        head = session.scalar(select(User.id).join(UserRole).where(
            User.unit_id == current.id, User.active.is_(True), UserRole.role == Role.MEDIATION_HEAD).limit(1))
        if head is not None:
            return current
        current = current.parent
    root = unit
    while root.parent is not None:
        root = root.parent
    return root


def _json_ready(values: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, (date, datetime)) else str(v) if isinstance(v, Decimal) else v)
            for k, v in values.items() if v is not None}


def create_record(session: Session, case: Case, intake: dict, actor: User | None, now: datetime) -> Mediation:
    """The mediation row of a dispute about to start; `intake` pre-fills the intake form."""
    source = intake.get("source") or "party"
    if source not in SOURCES:
        raise Invalid("Unknown mediation source {source}.", errors={"source": ["unknown"]}, source=source)
    record = Mediation(case_id=case.id, centre_unit_id=centre_unit_for(session, case.unit).id, source=source,
                       court_name=intake.get("court_name"), court_case_number=intake.get("court_case_number"),
                       court_deadline=intake.get("court_deadline"), court_procedure=intake.get("court_procedure"),
                       referred_from=intake.get("referring_case"), status="intake", opened_at=now,
                       details={"intake": _json_ready({k: intake.get(k) for k in MEDIATION_FIELDS})})
    session.add(record)
    session.flush()
    audit.record(session, at=now, action="mediation.registered", actor=actor, case=case,
                 after={"source": source, "court_name": record.court_name,
                        "court_case_number": record.court_case_number, "referred_from": record.referred_from})
    return record


def prepare_case(session: Session, case: Case, data: dict, actor: User, now: datetime) -> Message:
    """Before a mediation case's workflow starts (cases.BEFORE_START): check the opener, make the
    record; returns the `mediation_referral` message that starts mediation.bpmn."""
    intake = dict(data.get("mediation") or {"source": "party"})
    if not actor.roles & {Role.MEDIATION_HEAD, Role.MEDIATOR}:
        # Officers open mediation cases only to refer the civil part of an enforcement case they can see.
        referring = intake.get("referring_case")
        source_case = session.scalar(select(Case).where(Case.number == referring)) if referring else None
        if intake.get("source") != "enforcement" or source_case is None or source_case.pipeline != "enforcement" \
                or source_case.unit_id not in access.visible_unit_ids(session, actor):
            raise Forbidden("Officers open mediation cases only to refer an enforcement case of their unit "
                            "(source enforcement, referring_case its number).")
        audit.record(session, at=now, action="mediation.referred", actor=actor, case=source_case,
                     details={"mediation_case": case.number})
    intake.setdefault("dispute", case.title)
    record = create_record(session, case, intake, actor, now)
    return Message(REFERRAL_MESSAGE, {"source": record.source, "mediation": record.id})


def record_for_instance(session: Session, case: Case, instance: WorkflowInstance | None) -> Mediation | None:
    """The mediation of an instance; a record not yet linked to one is linked on first sight."""
    if instance is not None and instance.id is not None:
        found = session.scalar(select(Mediation).where(Mediation.instance_id == instance.id))
        if found is not None:
            return found
    found = session.scalar(select(Mediation).where(Mediation.case_id == case.id, Mediation.instance_id.is_(None))
                           .order_by(Mediation.id.desc()).limit(1))
    if found is not None and instance is not None and instance.id is not None:
        found.instance_id = instance.id
    return found


def open_record(session: Session, case: Case) -> Mediation | None:
    """The case's mediation whose instance is still running (operators run inside it)."""
    return session.scalar(
        select(Mediation).outerjoin(WorkflowInstance, Mediation.instance_id == WorkflowInstance.id)
        .where(Mediation.case_id == case.id,
               or_(Mediation.instance_id.is_(None), WorkflowInstance.status == "running"))
        .order_by(Mediation.id.desc()).limit(1))


def parties_of(case: Case, record: Mediation) -> list[PartyRef]:
    intake = (record.details or {}).get("intake", {})
    extra = [PartyRef(p["name"], p.get("uscc")) for p in (intake.get("applicant"), intake.get("respondent")) if p]
    return case_parties(case, extra)


def intake_draft(case: Case, record: Mediation) -> dict:
    """What the intake form starts with: the opening data and the case's parties."""
    intake = dict((record.details or {}).get("intake", {}))
    by_role = {p.role: p for p in case.parties}
    applicant = by_role.get(PartyRole.COMPLAINANT)
    respondent = by_role.get(PartyRole.RESPONDENT)
    draft = {k: v for k, v in intake.items() if k in MEDIATION_FIELDS}
    if applicant:
        draft["applicant"] = {"name": applicant.name, "kind": applicant.kind.value, "uscc": applicant.uscc}
    if respondent:
        draft["respondent"] = {"name": respondent.name, "kind": respondent.kind.value, "uscc": respondent.uscc}
    draft.setdefault("dispute", case.title)
    return draft


# ------------------------------------------------------------------ routing (engine/assignment)
def mediation_clock(source: str, court_procedure: str | None) -> str:
    """The clock rule (workflows/clocks/mediation.yaml) of the mediation period for a source."""
    if source == "court_assigned":
        return "mediation_court_assigned"
    if source == "court_entrusted":
        simplified = court_procedure == "simplified"
        return "mediation_court_entrusted_simplified" if simplified else "mediation_court_entrusted_ordinary"
    return "mediation_peoples"


def start_event(rule: str) -> str:
    """The clock event that starts a mediation-period rule (`mediation_accepted_<kind>`)."""
    return "mediation_accepted_" + rule.removeprefix("mediation_")


def route_head_task(session: Session, case: Case, instance, row: HumanTask, now: datetime) -> Routing | None:
    record = record_for_instance(session, case, instance)
    if record is None:
        return None
    if row.bpmn_id == "register_dispute":
        row.draft = intake_draft(case, record)
    return Routing(unit_id=record.centre_unit_id)


def route_mediator_task(session: Session, case: Case, instance, row: HumanTask, now: datetime) -> Routing:
    """Straight to the dispute's mediator (or their substitute today); never to the group."""
    record = record_for_instance(session, case, instance)
    if record is None or record.mediator_id is None:
        raise Conflict("Mediator step {step} of case {number} has no assigned mediator.",
                       step=row.bpmn_id, number=case.number)
    holder, _ = handler_for(session, record.mediator_id, now)
    if row.bpmn_id == "sign_agreement" and record.agreement_text:
        row.draft = {"final_text": record.agreement_text}  # the generated text, to edit before signing
    return Routing(unit_id=record.centre_unit_id, assignee_id=holder)


def may_see_case(session: Session, user: User, case: Case) -> bool | None:
    """A plain mediator sees a dispute only while it is, or was, theirs (or they did a step of it)."""
    if user.roles - {Role.MEDIATOR}:
        return None  # heads, officers, supervisors: the default unit scope applies
    if not user.has_role(Role.MEDIATOR):
        return None
    return is_involved(session, user, case)


def task_scope_for(user: User):
    """In task lists a plain mediator sees only their own steps and those of their current disputes."""
    if user.roles - {Role.MEDIATOR} or not user.has_role(Role.MEDIATOR):
        return None
    current = select(Mediation.case_id).where(Mediation.mediator_id == user.id)
    return or_(HumanTask.assignee_id == user.id, HumanTask.case_id.in_(current))


def is_involved(session: Session, user: User, case: Case) -> bool:
    """The case's current mediator, or the holder of one of its open mediator steps (a substitute).
    A mediator who declined or was recused no longer sees the dispute."""
    if session.scalar(select(Mediation.id).where(Mediation.case_id == case.id, Mediation.mediator_id == user.id)
                      .limit(1)) is not None:
        return True
    return session.scalar(select(HumanTask.id).where(
        HumanTask.case_id == case.id, HumanTask.role == Role.MEDIATOR.value, HumanTask.state == "open",
        HumanTask.assignee_id == user.id).limit(1)) is not None