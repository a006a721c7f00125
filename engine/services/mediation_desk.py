"""Mediation use cases outside the diagram's steps, one transaction each: the mediator's
"my disputes", the centre head's caseload view and suggestions, absences with delegation
to a substitute, recusal (回避) requests and decisions. Extending the mediation period with
the parties' consent is a clock extension (engine/services/clocks.py; the centre head approves).
(Referring an enforcement case's civil part is transfers.refer_to_mediation: transfer.bpmn
throws `mediation_referral`, which starts mediation.bpmn on the same case.)
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine.models import (
    Case, CaseClock, HumanTask, Mediation, MediationAssignment, MediatorAbsence, RecusalRequest, Role, User,
    WorkflowInstance,
)
from engine.services import audit, lookups, mediation, views
from engine.services.mediation_roster import (
    absence_on, acceptance_history, conflicts, eligibility, local_date, open_mediator_tasks, profile_of, suggest,
)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _ensure_centre_head(user: User, record: Mediation | None = None) -> None:
    if not user.has_role(Role.MEDIATION_HEAD) or (record is not None and user.unit_id != record.centre_unit_id):
        raise Forbidden("Only the head of the mediation centre may do this.")


def _record(session: Session, number: str) -> tuple[Case, Mediation]:
    case = lookups.case(session, number)
    record = session.scalar(select(Mediation).where(Mediation.case_id == case.id).order_by(Mediation.id.desc())
                            .limit(1))
    if record is None:
        raise NotFound("Case {number} has no mediation.", number=number)
    return case, record


def _move_open_tasks(session: Session, record: Mediation, from_id: int | None, to: User, now: datetime,
                     actor: User | None, reason: str) -> list[int]:
    """Hand the dispute's open mediator tasks (held by `from_id`, or anyone) to `to`, audited."""
    case = session.get(Case, record.case_id)
    query = select(HumanTask).where(HumanTask.instance_id == record.instance_id, HumanTask.state == "open",
                                    HumanTask.role == Role.MEDIATOR.value)
    if from_id is not None:
        query = query.where(HumanTask.assignee_id == from_id)
    moved = []
    for task in session.scalars(query):
        before = session.get(User, task.assignee_id).username if task.assignee_id else None
        task.assignee_id, task.claimed_at = to.id, now
        audit.record(session, at=now, action="task.reassigned", actor=actor, case=case, task=task,
                     before={"assignee": before}, after={"assignee": to.username}, details={"reason": reason})
        moved.append(task.id)
    return moved


# ------------------------------------------------------------------ views
def _deadlines(session: Session, case: Case, record: Mediation) -> list[dict]:
    """The dispute's running clocks (workflows/clocks/mediation.yaml) and the court's own deadline."""
    if record.status == "closed":
        return []
    from engine.clocks.catalogue import catalogue
    rules = {r.id: r for r in catalogue().for_pipeline("mediation")}
    running = session.scalars(select(CaseClock).where(CaseClock.case_id == case.id, CaseClock.stopped_at.is_(None),
                                                      CaseClock.rule.in_(rules)).order_by(CaseClock.due_at)).all()
    out = [{"rule": c.rule, "label": rules[c.rule].label, "due_at": _iso(c.due_at), "state": c.state}
           for c in running]
    if record.court_deadline:
        out.append({"rule": None, "label": {"zh": "法院要求完成日期", "en": "Court's deadline"},
                    "due_at": _iso(record.court_deadline), "state": "court"})
    return out


def dispute_view(session: Session, case: Case, record: Mediation, now: datetime) -> dict:
    tasks = session.scalars(select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.state == "open",
                                                    HumanTask.instance_id == record.instance_id)
                            .order_by(HumanTask.id)).all()
    schedule = session.scalar(select(HumanTask.data).where(
        HumanTask.instance_id == record.instance_id, HumanTask.form_id == "session_schedule",
        HumanTask.state == "completed").order_by(HumanTask.id.desc()).limit(1))
    mediator = session.get(User, record.mediator_id) if record.mediator_id else None
    deadlines = _deadlines(session, case, record)
    next_session = None
    if schedule and record.status == "mediating" and schedule.get("session_at", "") >= now.isoformat()[:10]:
        next_session = {k: schedule.get(k) for k in ("session_at", "venue", "place", "online_link")}
    return {
        "number": case.number, "title": case.title, "pipeline": case.pipeline, "status": record.status,
        "outcome": record.outcome, "source": record.source, "court_name": record.court_name,
        "court_case_number": record.court_case_number, "court_deadline": _iso(record.court_deadline),
        "referred_from": record.referred_from, "mediator": mediator.username if mediator else None,
        "mediator_name": mediator.full_name if mediator else None, "clock": record.clock,
        "due_at": min((d["due_at"] for d in deadlines if d["rule"]), default=None),
        "accepted_at": _iso(record.accepted_at),
        "parties": [{"role": p.role.value, "name": p.name, "uscc": p.uscc} for p in case.parties],
        "next_session": next_session, "deadlines": deadlines,
        "open_tasks": views.task_rows_view(session, list(tasks)),
        "agreement_text": record.agreement_text,
        "recusals": [{"id": r.id, "requested_by": r.requested_by, "grounds": r.grounds,
                      "mediator": session_username(session, r.mediator_id), "requested_at": _iso(r.requested_at),
                      "decision": r.decision, "decision_reason": r.decision_reason}
                     for r in session.scalars(select(RecusalRequest).where(RecusalRequest.mediation_id == record.id)
                                              .order_by(RecusalRequest.id))],
        "assignments": [{"mediator": session.get(User, a.mediator_id).username, "method": a.method,
                         "response": a.response, "reason": a.reason, "assigned_at": _iso(a.assigned_at)}
                        for a in record.assignments],
    }


def my_disputes(ctx: Context, *, username: str, include_closed: bool = False) -> list[dict]:
    """The disputes a mediator holds (or does for an absent colleague): next session, deadlines, steps."""
    with ctx.uow() as uow:
        s, now = uow.session, ctx.clock.now()
        user = lookups.user(s, username)
        mine = set(s.scalars(select(Mediation.id).where(Mediation.mediator_id == user.id)))
        covering = select(Mediation.id).join(HumanTask, HumanTask.instance_id == Mediation.instance_id).where(
            HumanTask.assignee_id == user.id, HumanTask.state == "open", HumanTask.role == Role.MEDIATOR.value)
        ids = mine | set(s.scalars(covering))
        records = s.scalars(select(Mediation).where(Mediation.id.in_(ids)).order_by(Mediation.id)).all()
        out = []
        for record in records:
            if record.status == "closed" and not include_closed:
                continue
            out.append(dispute_view(s, s.get(Case, record.case_id), record, now))
        out.sort(key=lambda d: (d["due_at"] is None, d["due_at"] or "", d["number"]))
        return out


def show_dispute(ctx: Context, *, number: str, username: str) -> dict:
    """One dispute for its mediator (or substitute) or the centre head; nobody else sees it here."""
    with ctx.uow() as uow:
        s, now = uow.session, ctx.clock.now()
        user = lookups.user(s, username)
        case, record = _record(s, number)
        allowed = (user.has_role(Role.MEDIATION_HEAD) and user.unit_id == record.centre_unit_id) \
            or mediation.is_involved(s, user, case)
        if not allowed:
            audit.record(s, at=now, action="access.denied", actor=user, case=case, details={"number": number})
            uow.commit()
            raise NotFound("No case numbered {number}.", number=number)
        view = dispute_view(s, case, record, now)
        if user.has_role(Role.MEDIATION_HEAD):
            view["suggestions"] = [x.view() for x in suggest(s, record, case, now, mediation.parties_of(case, record))]
        return view


def suggestions(ctx: Context, *, number: str, username: str) -> list[dict]:
    """Roster mediators for a dispute, suitable ones first, with the reasons (centre head)."""
    with ctx.uow() as uow:
        s, now = uow.session, ctx.clock.now()
        user = lookups.user(s, username)
        case, record = _record(s, number)
        _ensure_centre_head(user, record)
        return [x.view() for x in suggest(s, record, case, now, mediation.parties_of(case, record))]


def caseload(ctx: Context, *, username: str) -> list[dict]:
    """The centre head's view: each roster mediator's running disputes, limits, absence, overdue steps."""
    with ctx.uow() as uow:
        s, now = uow.session, ctx.clock.now()
        head = lookups.user(s, username)
        _ensure_centre_head(head)
        from engine.models import MediatorProfile
        profiles = s.scalars(select(MediatorProfile).join(User, MediatorProfile.user_id == User.id)
                             .where(User.unit_id == head.unit_id).order_by(User.username)).all()
        out = []
        for profile in profiles:
            user = profile.user
            records = s.scalars(select(Mediation).outerjoin(WorkflowInstance, Mediation.instance_id ==
                                                           WorkflowInstance.id)
                                .where(Mediation.mediator_id == user.id, WorkflowInstance.status == "running")
                                .order_by(Mediation.id)).all()
            open_tasks = open_mediator_tasks(s, user.id)
            absence = absence_on(profile, local_date(now))
            accepted, declined = acceptance_history(s, user.id, now)
            out.append({
                "username": user.username, "full_name": user.full_name, "organisation": profile.organisation,
                "active": len(records), "max_active_cases": profile.max_active_cases,
                "pending_acceptance": sum(1 for r in records if r.status == "assigned"),
                "open_tasks": len(open_tasks),
                "overdue_tasks": sum(1 for t in open_tasks if t.due_at and t.due_at < now),
                "accepted": accepted, "declined": declined,
                "absent": bool(absence), "substitute": absence.substitute.username
                if absence and absence.substitute else None,
                "disputes": [{"number": s.get(Case, r.case_id).number, "status": r.status} for r in records],
            })
        return out


# ------------------------------------------------------------------ absences
def record_absence(ctx: Context, *, username: str, actor: str, starts_on: date, ends_on: date,
                   substitute: str | None = None, reason: str | None = None) -> dict:
    """A mediator's absence: no new assignments; their open steps go to the substitute once it begins."""
    if ends_on < starts_on:
        raise Invalid("The absence ends before it starts.", errors={"ends_on": ["before starts_on"]})
    with ctx.uow() as uow:
        s, now = uow.session, ctx.clock.now()
        by = lookups.user(s, actor)
        if by.username != username:
            _ensure_centre_head(by)
        mediator = lookups.user(s, username)
        profile = profile_of(s, mediator.id)
        if profile is None:
            raise NotFound("{username} is not on the mediator roster.", username=username)
        sub = lookups.user(s, substitute) if substitute else None
        if sub is not None and (sub.id == mediator.id or not sub.has_role(Role.MEDIATOR)
                                or sub.unit_id != mediator.unit_id):
            raise Invalid("{substitute} cannot stand in: a different mediator of the same centre is needed.",
                          errors={"substitute": ["unsuitable"]}, substitute=substitute)
        absence = MediatorAbsence(starts_on=starts_on, ends_on=ends_on, substitute=sub, reason=reason,
                                  created_at=now)
        profile.absences.append(absence)
        s.flush()
        audit.record(s, at=now, action="mediator.absence_recorded", actor=by,
                     after={"mediator": username, "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat(),
                            "substitute": substitute, "reason": reason})
        moved = _delegate(s, mediator, absence, now, by) if starts_on <= local_date(now) <= ends_on else []
        uow.commit()
    return {"mediator": username, "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat(),
            "substitute": substitute, "delegated_tasks": moved}


def _delegate(session: Session, mediator: User, absence: MediatorAbsence, now: datetime,
              actor: User | None, strict: bool = True) -> list[int]:
    """Move the absent mediator's open steps to the substitute. Where the substitute is tied to a
    party, `strict` refuses (the head is told why); the scheduler's job leaves that step instead."""
    if absence.substitute is None:
        return []
    sub_profile = profile_of(session, absence.substitute_id)
    moved = []
    for task in open_mediator_tasks(session, mediator.id):
        record = session.scalar(select(Mediation).where(Mediation.instance_id == task.instance_id))
        case = session.get(Case, task.case_id)
        clash = conflicts(sub_profile, mediation.parties_of(case, record)) if sub_profile else []
        if clash and not strict:
            continue
        if clash:
            raise Invalid("{substitute} cannot stand in on {number}: {why}.", errors={"substitute": [clash[0]["en"]]},
                          substitute=absence.substitute.username, number=case.number, why=clash[0]["en"])
        task.assignee_id, task.claimed_at = absence.substitute_id, now
        audit.record(session, at=now, action="task.delegated", actor=actor, case=case, task=task,
                     before={"assignee": mediator.username}, after={"assignee": absence.substitute.username},
                     details={"reason": "absence", "until": absence.ends_on.isoformat()})
        moved.append(task.id)
    return moved


def delegate_for_absences(ctx: Context) -> list[int]:
    """Scheduler job: absences that have begun hand their mediators' open steps to the substitutes."""
    with ctx.uow() as uow:
        s, now = uow.session, ctx.clock.now()
        today = local_date(now)
        moved = []
        for absence in s.scalars(select(MediatorAbsence).where(MediatorAbsence.starts_on <= today,
                                                               MediatorAbsence.ends_on >= today,
                                                               MediatorAbsence.substitute_id.is_not(None))):
            moved += _delegate(s, absence.profile.user, absence, now, None, strict=False)
        uow.commit()
    return moved


# ------------------------------------------------------------------ recusal (回避)
def request_recusal(ctx: Context, *, number: str, username: str, requested_by: str, grounds: str) -> dict:
    """Record a party's request that the mediator withdraw; the centre head decides."""
    if not grounds or not grounds.strip() or not requested_by or not requested_by.strip():
        raise Invalid("Name the party and the grounds.", errors={"grounds": ["required"], "requested_by": ["required"]})
    _fits_the_record(requested_by=("requested_by", requested_by), grounds=("grounds", grounds))
    with ctx.uow() as uow:
        s, now = uow.session, ctx.clock.now()
        user = lookups.user(s, username)
        case, record = _record(s, number)
        if not (user.has_role(Role.MEDIATION_HEAD) or mediation.is_involved(s, user, case)):
            raise Forbidden("Only the centre or the dispute's mediator records a recusal request.")
        if record.mediator_id is None or record.status == "closed":
            raise Conflict("Case {number} has no mediator to recuse.", number=number)
        request = RecusalRequest(mediation_id=record.id, mediator_id=record.mediator_id, requested_by=requested_by,
                                 grounds=grounds, requested_at=now, recorded_by_id=user.id)
        s.add(request)
        s.flush()
        audit.record(s, at=now, action="mediation.recusal_requested", actor=user, case=case,
                     after={"request": request.id, "mediator": session_username(s, record.mediator_id),
                            "requested_by": requested_by, "grounds": grounds})
        uow.commit()
        return {"id": request.id, "number": number, "mediator": session_username(s, request.mediator_id)}


def _fits_the_record(**given: tuple[str, str]) -> None:
    """Each field's text (field -> (column of the recusal record, text)) fits its column; else
    the request is Invalid by field (PostgreSQL would refuse the row; SQLite would keep it)."""
    columns = RecusalRequest.__table__.c
    too_long = {field: [f"Longer than maximum length {columns[column].type.length}."]
                for field, (column, text) in given.items() if len(text) > columns[column].type.length}
    if too_long:
        raise Invalid("The recusal record cannot hold this much text: {fields}.", errors=too_long,
                      fields=", ".join(sorted(too_long)))


def session_username(session: Session, user_id: int | None) -> str | None:
    return session.get(User, user_id).username if user_id else None


def decide_recusal(ctx: Context, *, request_id: int, username: str, decision: str, reason: str,
                   replacement: str | None = None) -> dict:
    """The centre head grants (a new mediator takes over the open steps) or refuses a recusal request."""
    if decision not in ("granted", "refused"):
        raise Invalid("Decide granted or refused.", errors={"decision": ["granted or refused"]})
    if not reason or not reason.strip():
        raise Invalid("Give the reasons for the decision.", errors={"reason": ["required"]})
    _fits_the_record(reason=("decision_reason", reason))
    with ctx.uow() as uow:
        s, now = uow.session, ctx.clock.now()
        head = lookups.user(s, username)
        request = s.get(RecusalRequest, request_id)
        if request is None:
            raise NotFound("No recusal request {id}.", id=request_id)
        record = s.get(Mediation, request.mediation_id)
        case = s.get(Case, record.case_id)
        _ensure_centre_head(head, record)
        if request.decision is not None:
            raise Conflict("Recusal request {id} is already decided.", id=request_id)
        request.decision, request.decision_reason = decision, reason
        request.decided_by_id, request.decided_at = head.id, now
        result = {"id": request.id, "decision": decision, "mediator": session_username(s, request.mediator_id)}
        if decision == "granted" and record.mediator_id == request.mediator_id:
            current = next((a for a in reversed(record.assignments) if a.mediator_id == request.mediator_id), None)
            if current is not None:
                current.response, current.responded_at, current.reason = "recused", now, reason
            parties = mediation.parties_of(case, record)
            if replacement:
                new = lookups.user(s, replacement)
                problems = eligibility(s, record, new, parties, now)
                if problems:
                    raise Invalid("{username} cannot mediate this dispute: {why}.",
                                  errors={"replacement": [p["en"] for p in problems]}, username=replacement,
                                  why="; ".join(p["en"] for p in problems))
            else:
                ranked = [x for x in suggest(s, record, case, now, parties) if x.eligible]
                if not ranked:
                    raise Invalid("No other mediator is free of conflicts and available.",
                                  errors={"replacement": ["no suitable mediator"]})
                new = lookups.user(s, ranked[0].username)
            record.mediator_id, record.assigned_at = new.id, now
            record.assignments.append(MediationAssignment(mediator_id=new.id, method="recusal",
                                                          assigned_by_id=head.id, assigned_at=now,
                                                          response="accepted" if record.accepted_at else "pending",
                                                          responded_at=now if record.accepted_at else None))
            result["replacement"] = new.username
            result["moved_tasks"] = _move_open_tasks(s, record, None, new, now, head, "recusal")
        audit.record(s, at=now, action="mediation.recusal_decided", actor=head, case=case,
                     after=result, details={"reason": reason})
        uow.commit()
    return result
