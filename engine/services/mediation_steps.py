"""What mediation.bpmn's service tasks do (its operators), the outcome rule, the 调解协议书.

Each operator is bound to the case and transaction of the step that runs it
(operators.operators_for), so what it writes commits or rolls back with the step; an
operator's DomainError (e.g. a refused assignment) fails the step with that reason.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Conflict, Invalid
from engine.models import Case, Mediation, MediationAssignment, Party, PartyKind, PartyRole, User, WorkflowInstance
from engine.runtime.script_engine import OperatorScriptEngine
from engine.runtime.stepper import WorkflowRun
from engine.services import audit, clocks, definitions
from engine.services.mediation import (
    COURT_SOURCES, RESULT_MESSAGE, _json_ready, create_record, mediation_clock, open_record, parties_of,
    start_event,
)
from engine.services.mediation_roster import eligibility, suggest


# ------------------------------------------------------------------ operators (mediation.bpmn service tasks)
def _party_from_form(role: PartyRole, data: dict | None) -> Party | None:
    if not data:
        return None
    return Party(role=role, kind=PartyKind(data["kind"]), name=data["name"], uscc=data.get("uscc"))


def _sync_parties(case: Case, intake: dict) -> None:
    known = {(p.name, p.uscc) for p in case.parties}
    for role, key in ((PartyRole.COMPLAINANT, "applicant"), (PartyRole.RESPONDENT, "respondent")):
        party = _party_from_form(role, intake.get(key))
        if party and (party.name, party.uscc) not in known and (party.name, None) not in known:
            case.parties.append(party)


def _require(record_source: str, intake: dict) -> None:
    errors = {}
    if record_source in COURT_SOURCES:
        for key in ("court_name", "court_case_number"):
            if not intake.get(key):
                errors[key] = ["required for a court referral"]
        if record_source == "court_entrusted" and not intake.get("court_procedure"):
            errors["court_procedure"] = ["required for a court-entrusted (委托) case"]
    if record_source == "enforcement" and not intake.get("referring_case"):
        errors["referring_case"] = ["required for a referral from an enforcement case"]
    if errors:
        raise Invalid("The intake needs: {fields}.", errors=errors, fields=", ".join(sorted(errors)))


def operators_for(session: Session, case: Case, now: datetime, actor: User | None) -> dict:
    """The operators mediation.bpmn's service tasks call, bound to the step's transaction."""

    def record() -> Mediation:
        found = open_record(session, case)
        if found is None:
            found = create_record(session, case, {}, actor, now)
        return found

    def open_mediation_record(task, referral: dict | None) -> dict:
        """The dispute's record: made when a mediation case was opened, or here for a referral
        thrown by another process of the case (transfer.bpmn's civil referral)."""
        rec = open_record(session, case)
        if rec is not None and rec.instance_id is not None:
            raise Conflict("Case {number} is already in mediation.", number=case.number)
        if rec is None:
            form = (referral or {}).get("referral")
            rec = create_record(session, case, {"source": "enforcement", "referring_case": case.number,
                                                "dispute": case.title}, actor, now)
            if isinstance(form, dict):
                rec.details = {**rec.details, "referral": _json_ready(form)}
        return {"mediation": rec.id, "source": rec.source}

    def record_mediation_intake(task, intake: dict) -> dict:
        rec = record()
        _require(intake["source"], intake)
        rec.source = intake["source"]
        court = intake if rec.source in COURT_SOURCES else {}  # court details only for court referrals
        rec.court_name, rec.court_case_number = court.get("court_name"), court.get("court_case_number")
        rec.court_deadline, rec.court_procedure = court.get("court_deadline"), court.get("court_procedure")
        if rec.source == "enforcement":
            rec.referred_from = intake.get("referring_case") or rec.referred_from
        rec.details = {**(rec.details or {}), "intake": _json_ready(intake)}
        _sync_parties(case, intake)
        rec.status = "consent"
        audit.record(session, at=now, action="mediation.intake_recorded", actor=actor, case=case,
                     after={"source": rec.source, "court_name": rec.court_name,
                            "court_case_number": rec.court_case_number})
        return {"source": rec.source}

    def _assign(rec: Mediation, user: User, method: str, by: User | None) -> None:
        rec.mediator_id, rec.assigned_at = user.id, now
        rec.status = "assigned"
        rec.assignments.append(MediationAssignment(mediator_id=user.id, method=method,
                                                   assigned_by_id=by.id if by else None, assigned_at=now))
        audit.record(session, at=now, action="mediation.assigned", actor=by, case=case,
                     after={"mediator": user.username, "method": method})

    def designate_mediator(task, choice: dict) -> dict:
        rec = record()
        parties = parties_of(case, rec)
        username = (choice.get("mediator") or "").strip()
        if not username:
            if choice["method"] != "suggested":
                raise Invalid("Name the mediator the centre designates or the parties chose.",
                              errors={"mediator": ["required"]})
            ranked = [s for s in suggest(session, rec, case, now, parties) if s.eligible]
            if not ranked:
                raise Invalid("No mediator on the roster is free of conflicts and available.",
                              errors={"mediator": ["no suitable mediator"]})
            username = ranked[0].username
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise Invalid("No user named {username}.", errors={"mediator": ["unknown"]}, username=username)
        problems = eligibility(session, rec, user, parties, now)
        if problems:  # the whole step rolls back: the head sees why and chooses again
            raise Invalid("{username} cannot mediate this dispute: {why}.",
                          errors={"mediator": [p["en"] for p in problems]}, username=username,
                          why="; ".join(p["en"] for p in problems))
        _assign(rec, user, choice["method"], actor)
        return {"mediator": username}

    def reassign_mediator(task, reply: dict) -> dict:
        rec = record()
        reason = (reply.get("reason") or "").strip()
        if not reason:
            raise Invalid("Give a reason for declining.", errors={"reason": ["required to decline"]})
        pending = next((a for a in reversed(rec.assignments) if a.mediator_id == rec.mediator_id), None)
        if pending is not None:
            pending.response, pending.responded_at, pending.reason = "declined", now, reason
        declined_by = session.get(User, rec.mediator_id)
        audit.record(session, at=now, action="mediation.declined", actor=actor, case=case,
                     details={"mediator": declined_by.username if declined_by else None, "reason": reason})
        ranked = [s for s in suggest(session, rec, case, now) if s.eligible]
        if not ranked:
            rec.mediator_id, rec.status = None, "intake"
            audit.record(session, at=now, action="mediation.reassignment_failed", case=case,
                         details={"reason": "no suitable mediator left"})
            return {"found": False, "mediator": None}
        user = session.scalar(select(User).where(User.username == ranked[0].username))
        _assign(rec, user, "reassigned_after_decline", None)
        return {"found": True, "mediator": user.username}

    def accept_assignment(task, reply: dict) -> dict:
        rec = record()
        current = next((a for a in reversed(rec.assignments) if a.mediator_id == rec.mediator_id), None)
        if current is not None:
            current.response, current.responded_at = "accepted", now
        rule = mediation_clock(rec.source, rec.court_procedure)
        rec.accepted_at, rec.clock, rec.status = now, rule, "mediating"
        # The mediator signed for the materials: the mediation period starts (SMR art. 27).
        [clock] = clocks.on_event(session, case, start_event(rule), now) or [None]
        due = clock.due_at if clock is not None else None
        audit.record(session, at=now, action="mediation.accepted", actor=actor, case=case,
                     after={"clock": rule, "due_at": due.isoformat() if due else None,
                            "court_deadline": rec.court_deadline.isoformat() if rec.court_deadline else None})
        return {"clock": rule, "due_at": due}

    def generate_agreement(task, outcome: dict) -> dict:
        rec = record()
        rec.agreement_text = agreement_text(case, rec, outcome, session.get(User, rec.mediator_id))
        rec.status = "agreement"
        audit.record(session, at=now, action="mediation.agreement_drafted", actor=actor, case=case,
                     details={"partial": outcome["result"] == "partial_agreement"})
        return {"partial": outcome["result"] == "partial_agreement", "length": len(rec.agreement_text)}

    def record_agreement_signed(task, signing: dict) -> dict:
        rec = record()
        if signing.get("final_text"):
            rec.agreement_text = signing["final_text"]
        rec.agreement_signed_on = signing["signed_on"]
        audit.record(session, at=now, action="mediation.agreement_signed", actor=actor, case=case,
                     after={"signed_on": rec.agreement_signed_on.isoformat()})
        return {"signed_on": rec.agreement_signed_on}

    def close_mediation(task) -> dict:
        rec = record()
        outcome = outcome_of(task.data)
        amount = (task.data.get("mediation_outcome") or {}).get("amount")
        rec.status, rec.outcome, rec.closed_at = "closed", outcome, now
        report = referrer_waits(session, case, rec)
        silent = "mediation_consent" not in task.data  # the consent limit ran out (consent_timeout)
        audit.record(session, at=now, action="mediation.closed", actor=actor, case=case,
                     after={"outcome": outcome, "reported_to_enforcement": report},
                     details={"reason": "no reply within the consent limit"} if silent else None)
        return {"outcome": outcome, "report": report, "mediation": rec.id,
                "amount": str(amount) if amount is not None else None}

    return {
        "open_mediation_record": open_mediation_record, "close_mediation": close_mediation,
        "record_mediation_intake": record_mediation_intake, "designate_mediator": designate_mediator,
        "reassign_mediator": reassign_mediator, "accept_assignment": accept_assignment,
        "generate_agreement": generate_agreement, "record_agreement_signed": record_agreement_signed,
    }


def outcome_of(data: dict) -> str:
    """The end a finished mediation reached, from the steps' submitted forms (close_dispute)."""
    intake = data.get("mediation_intake") or {}
    court = intake.get("source") in COURT_SOURCES
    if (data.get("mediation_consent") or {}).get("reply") != "agreed":
        return "returned_to_court" if court else "consent_refused"
    result = (data.get("mediation_outcome") or {}).get("result")
    if result == "failure":
        if court:
            return "returned_to_court"
        return "returned_to_enforcement" if intake.get("source") == "enforcement" else "mediation_failed"
    if court:
        return "agreement_reported_to_court"
    applied = (data.get("confirmation_application") or {}).get("applied") == "applied"
    if applied and (data.get("confirmation_ruling") or {}).get("ruling") == "rejected":
        return "confirmation_rejected"
    if result == "partial_agreement":
        return "partial_agreement"
    performed = (data.get("performance_followup") or {}).get("performance") == "full"
    return "agreement_performed" if performed else "agreement_not_performed"


def referrer_waits(session: Session, case: Case, record: Mediation) -> bool:
    """Whether another running instance of the case (the referring enforcement process) waits
    for `mediation_result`: only then is it thrown, since a message nobody takes fails the step."""
    if record.source != "enforcement":
        return False
    others = session.scalars(select(WorkflowInstance).where(
        WorkflowInstance.case_id == case.id, WorkflowInstance.status == "running",
        WorkflowInstance.id != record.instance_id)).all()
    for instance in others:
        run = WorkflowRun.load(instance.state, definitions.specs_of(instance.definition), OperatorScriptEngine())
        waits_for = getattr(run, "waits_for", None)  # the message bus (issue 7) provides it
        if waits_for is not None and waits_for(RESULT_MESSAGE):
            return True
    return False


# ------------------------------------------------------------------ the agreement document
def _money(value) -> str:
    return f"{Decimal(str(value)):,.2f}" if value not in (None, "") else ""


def agreement_text(case: Case, record: Mediation, outcome: dict, mediator: User | None) -> str:
    """调解协议书: parties, facts, issues, agreed terms, performance (PML arts. 28–29; SMR arts. 23–24)."""
    intake = (record.details or {}).get("intake", {})
    partial = outcome.get("result") == "partial_agreement"
    lines = [("部分" if partial else "") + "调解协议书", f"编号：{case.number}", ""]
    for label, role in (("申请人", PartyRole.COMPLAINANT), ("被申请人", PartyRole.RESPONDENT)):
        for p in (x for x in case.parties if x.role == role):
            lines.append(f"{label}：{p.name}" + (f"（统一社会信用代码：{p.uscc}）" if p.uscc else ""))
    if record.court_name:
        kind = "委派" if record.source == "court_assigned" else "委托"
        lines.append(f"{record.court_name}{kind}调解，法院案号：{record.court_case_number}")
    lines += ["", "一、纠纷主要事实和争议事项", outcome.get("facts") or intake.get("dispute") or case.title, "",
              "二、经调解，双方自愿达成如下协议", outcome.get("terms") or "（协议内容）"]
    if outcome.get("amount") not in (None, ""):
        lines.append(f"支付金额：人民币{_money(outcome['amount'])}元")
    if outcome.get("performance_method"):
        lines.append(f"履行方式：{outcome['performance_method']}")
    if outcome.get("performance_due"):
        lines.append(f"履行期限：{outcome['performance_due']}前")
    if partial and outcome.get("unresolved"):
        lines += ["", "三、未达成协议的事项", outcome["unresolved"]]
    lines += ["", "本协议自各方当事人签名（盖章）、调解员签名并加盖调解组织印章之日起生效。"
              "当事人可以自本协议生效之日起三十日内共同向人民法院申请司法确认。", "",
              "申请人（签名/盖章）：", "被申请人（签名/盖章）：",
              f"调解员：{mediator.full_name if mediator else ''}", "调解组织（印章）："]
    return "\n".join(lines)
