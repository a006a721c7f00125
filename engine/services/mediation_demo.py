"""Demo mediation disputes: the roster seeded, disputes opened and driven to every state."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from engine.context import Context
from engine.forms.samples import sample_submission
from engine.models import HumanTask, Mediation
from engine.services import cases, lookups, mediation_roster, tasks
from engine.services.mediation import MEDIATION_FIELDS
from engine.services.demo import holder_for

MEDIATION_ROLES = ("mediation_head", "mediator")
APPLICANT = {"name": "泰山酒业集团有限公司", "kind": "enterprise"}
RESPONDENT = {"name": "泰安市某某商贸有限公司", "kind": "enterprise", "uscc": "91370900MA3C0000XH"}
COURT = {"court_name": "泰安市中级人民法院", "court_case_number": "（2026）鲁09民初123号",
         "court_deadline": "2026-04-30"}
# What routes a plain dispute: designated to mediator1, one session, agreement, performed.
PLAIN = {
    "assign_mediator": {"method": "designated", "mediator": "mediator1"},
    "accept_dispute": {"decision": "accept"},
    "record_session": {"result": "concluded"},
    "record_outcome": {"result": "agreement", "terms": "被申请人停止使用并赔偿", "amount": "50000.00",
                       "performance_due": "2026-04-30"},
    "sign_agreement": {"signed_on": "2026-03-05"},
    "apply_confirmation": {"applied": "not_applied"},
    "follow_up_performance": {"performance": "full"},
}


def intake_answer(ctx: Context, number: str, extra: dict | None = None) -> dict:
    """The intake form as the centre would fill it from what the case was opened with."""
    with ctx.uow() as uow:
        s = uow.session
        case = lookups.case(s, number)
        record = s.scalar(select(Mediation).where(Mediation.case_id == case.id).order_by(Mediation.id.desc()))
        answer = {k: v for k, v in (record.details or {}).get("intake", {}).items() if k in MEDIATION_FIELDS}
        answer.update(source=record.source, applicant=APPLICANT, respondent=RESPONDENT)
        if record.source in ("court_assigned", "court_entrusted"):
            answer.update(court_name=record.court_name, court_case_number=record.court_case_number,
                          court_deadline=record.court_deadline.isoformat() if record.court_deadline else None,
                          court_procedure=record.court_procedure or "ordinary")
        if record.source == "enforcement":
            answer["referring_case"] = record.referred_from
    return {**answer, **(extra or {})}


def drive_mediation(ctx: Context, number: str, answers: dict, until: str | None = None,
                    max_steps: int = 100) -> dict:
    """Complete the case's open mediation steps (by their holders) until it ends or `until` is open.

    `answers` maps step ids to form data over the form's sample; a list gives one answer per visit.
    Other processes of the case (an enforcement case that referred) are left alone.
    """
    answers = {**PLAIN, **answers}
    answers["register_dispute"] = intake_answer(ctx, number, answers.get("register_dispute"))
    visits: dict[str, int] = {}
    for _ in range(max_steps):
        view = cases.show_case(ctx, number)
        todo = [t for t in view["open_tasks"] if t["role"] in MEDIATION_ROLES]
        if not todo or any(t["step"] == until for t in todo):
            return view
        task = todo[0]
        with ctx.uow() as uow:
            username = holder_for(uow.session, uow.session.get(HumanTask, task["id"]))
        answer = answers.get(task["step"])
        if isinstance(answer, list):
            n = visits[task["step"]] = visits.get(task["step"], 0) + 1
            answer = answer[min(n, len(answer)) - 1]
        data = sample_submission(ctx.forms.get(task["form"]), answer)
        tasks.complete(ctx, username=username, task_id=task["id"], data=data)
    raise RuntimeError(f"mediation of {number} did not settle in {max_steps} steps")


@dataclass(frozen=True)
class MediationScenario:
    title: str
    ip_type: str
    mediation: dict = field(default_factory=dict)
    answers: dict = field(default_factory=dict)
    until: str | None = None


SCENARIOS = [
    MediationScenario("商标许可使用费纠纷（待登记）", "trademark", until="register_dispute"),
    MediationScenario("“泰山”商标侵权赔偿纠纷（征询对方意见）", "trademark", until="record_consent"),
    MediationScenario("专利侵权赔偿纠纷（待指定调解员）", "patent", {"technical_field": "机械"},
                      until="assign_mediator"),
    MediationScenario("外观设计专利纠纷（调解员待接受）", "patent",
                      answers={"assign_mediator": {"method": "designated", "mediator": "mediator2"}},
                      until="accept_dispute"),
    MediationScenario("法院委派：商标侵权纠纷（调解中）", "trademark", {"source": "court_assigned", **COURT},
                      answers={"record_session": [{"result": "next_session"}, {"result": "concluded"}]},
                      until="record_outcome"),
    MediationScenario("著作权许可纠纷（待签署协议）", "copyright", until="sign_agreement"),
    MediationScenario("地理标志使用纠纷（待申请司法确认）", "geographic_indication", until="apply_confirmation"),
    MediationScenario("商业秘密纠纷（调解成功并履行）", "trade_secret",
                      answers={"assign_mediator": {"method": "party_choice", "mediator": "mediator2"}}),
    MediationScenario("法院委托：专利纠纷（调解不成退回法院）", "patent",
                      {"source": "court_entrusted", **COURT, "court_procedure": "simplified"},
                      answers={"record_outcome": {"result": "failure", "failure_reason": "赔偿数额分歧过大"},
                               "return_to_court": {"reason": "mediation_failed"}}),
    MediationScenario("商标纠纷（对方不同意调解）", "trademark",
                      answers={"record_consent": {"reply": "refused", "reason": "对方不愿调解"}}),
]


def load(ctx: Context) -> int:
    """Seed the roster and open the demo disputes (demo.load calls this once)."""
    with ctx.uow() as uow:
        mediation_roster.seed_roster(uow.session, ctx.clock.now())
        uow.commit()
    court_deadline = (ctx.clock.now() + timedelta(days=45)).date().isoformat()  # the court's, in the future
    for scenario in SCENARIOS:
        opening = {"source": "party", **scenario.mediation}
        if "court_deadline" in opening:
            opening["court_deadline"] = court_deadline
        view = cases.open_case(ctx, username="mediation.head", pipeline="mediation", unit_code="taian", fields={
            "title": scenario.title, "ip_type": scenario.ip_type, "complainant": APPLICANT,
            "respondent": RESPONDENT, "mediation": opening})
        drive_mediation(ctx, view["number"], scenario.answers, scenario.until)
    return len(SCENARIOS)
