"""Mediation disputes through the engine services: every outcome, mediator-only routing,
decline and reassignment, conflicts, absences, recusal, clocks and referrals."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine.models import HumanTask, Mediation, MediationAssignment, Unit
from engine.services import cases, clocks, mediation_desk as desk, mediation_roster, tasks, transfers
from engine.services import mediation_demo as demo

from .helpers import complete, open_case, open_task

APPLICANT, COURT, PLAIN, RESPONDENT = demo.APPLICANT, demo.COURT, demo.PLAIN, demo.RESPONDENT


@pytest.fixture
def mctx(ctx, clock):
    with ctx.uow() as uow:
        mediation_roster.seed_roster(uow.session, clock.now())
        uow.commit()
    return ctx


def open_dispute(ctx, user="mediation.head", title="注册商标许可使用费纠纷", ip_type="trademark", **mediation):
    return cases.open_case(ctx, username=user, pipeline="mediation", unit_code="taian", fields={
        "title": title, "ip_type": ip_type, "complainant": APPLICANT, "respondent": RESPONDENT,
        "mediation": {"source": "party", **mediation}})


def run(ctx, number, until=None, **changes):
    return demo.drive_mediation(ctx, number, changes, until)


def _record(ctx, number) -> Mediation:
    with ctx.uow() as uow:
        s = uow.session
        case = cases.lookups.case(s, number)
        record = s.scalar(select(Mediation).where(Mediation.case_id == case.id).order_by(Mediation.id.desc()))
        s.expunge(record)
        return record


def steps(view) -> list[str]:
    return [e["details"]["step"] for e in view["timeline"] if e["action"] == "task.completed"]


def task_unit(ctx, task_id) -> str:
    with ctx.uow() as uow:
        return uow.session.get(Unit, uow.session.get(HumanTask, task_id).unit_id).code


def holders(ctx, number) -> dict[str, str]:
    return {t["step"]: t["assignee"] for t in cases.show_case(ctx, number)["open_tasks"]}


# ------------------------------------------------------------------ opening
def test_opening_numbers_the_dispute_and_prefills_the_intake(mctx):
    view = open_dispute(mctx)
    assert view["number"] == "泰市监知调〔2026〕1号" and view["pipeline"] == "mediation"
    [task] = view["open_tasks"]
    assert (task["step"], task["role"], task["assignee"]) == ("register_dispute", "mediation_head", "mediation.head")
    assert task_unit(mctx, task["id"]) == "taian"
    shown = tasks.show_task(mctx, task["id"], "mediation.head")
    assert shown["draft"]["source"] == "party"
    assert shown["draft"]["respondent"]["uscc"] == RESPONDENT["uscc"]
    assert shown["draft"]["dispute"] == "注册商标许可使用费纠纷"


def test_mediators_and_officers_open_disputes_only_as_allowed(mctx):
    assert open_dispute(mctx, user="mediator1")["open_tasks"][0]["assignee"] is None  # the head's group
    with pytest.raises(Forbidden):
        open_dispute(mctx, user="city.officer")  # an officer without an enforcement case to refer
    enforcement = open_case(mctx, unit="taian", user="city.officer")["number"]
    view = open_dispute(mctx, user="city.officer", source="enforcement", referring_case=enforcement)
    assert _record(mctx, view["number"]).referred_from == enforcement


def test_court_referrals_need_the_court_details_at_intake(mctx):
    number = open_dispute(mctx, source="court_entrusted")["number"]
    task = open_task(mctx, number, "register_dispute")
    with pytest.raises(Invalid) as err:
        complete(mctx, number, "register_dispute", "mediation.head", source="court_entrusted",
                 applicant=APPLICANT, respondent=RESPONDENT, court_name=None, court_case_number=None,
                 court_procedure=None)
    assert {"court_name", "court_case_number", "court_procedure"} <= set(err.value.errors)
    assert open_task(mctx, number)["id"] == task["id"]  # nothing moved


# ------------------------------------------------------------------ every outcome
OUTCOMES = {
    "agreement performed": ({}, {}, "agreement_performed",
                            ["register_dispute", "record_consent", "assign_mediator", "accept_dispute",
                             "give_opening_notice", "schedule_session", "record_session", "record_outcome",
                             "sign_agreement", "apply_confirmation", "follow_up_performance"]),
    "agreement not performed": ({}, {"follow_up_performance": {"performance": "partial"}},
                                "agreement_not_performed", None),
    "partial agreement": ({}, {"record_outcome": {"result": "partial_agreement", "terms": "赔偿部分达成",
                                                  "unresolved": "是否停止使用"}}, "partial_agreement", None),
    "confirmed by the court": ({}, {"apply_confirmation": {"applied": "applied", "court_name": "泰山区人民法院"},
                                    "record_ruling": {"ruling": "confirmed"}}, "agreement_performed", None),
    "confirmation rejected": ({}, {"apply_confirmation": {"applied": "applied"},
                                   "record_ruling": {"ruling": "rejected"}}, "confirmation_rejected", None),
    "other party refuses": ({}, {"record_consent": {"reply": "refused", "reason": "不愿调解"}}, "consent_refused",
                            ["register_dispute", "record_consent"]),
    "other party silent": ({}, {"record_consent": {"reply": "no_reply"}}, "consent_refused", None),
    "no agreement: litigation advised": ({}, {"record_outcome": {"result": "failure", "advice": "litigation",
                                                                 "failure_reason": "赔偿数额分歧"}},
                                         "mediation_failed", None),
    "court pre-filing, agreement reported": ({"source": "court_assigned", **COURT},
                                             {"report_to_court": {"court_document": "agreement_filed"}},
                                             "agreement_reported_to_court", None),
    "court post-filing, refused, returned": ({"source": "court_entrusted", **COURT, "court_procedure": "simplified"},
                                             {"record_consent": {"reply": "refused"},
                                              "return_to_court": {"reason": "consent_refused"}},
                                             "returned_to_court",
                                             ["register_dispute", "record_consent", "return_to_court"]),
    "court post-filing, failure, returned": ({"source": "court_entrusted", **COURT},
                                             {"record_outcome": {"result": "failure"},
                                              "return_to_court": {"reason": "mediation_failed"}},
                                             "returned_to_court", None),
}


@pytest.mark.parametrize("name", OUTCOMES)
def test_every_outcome_end_to_end(mctx, name):
    opening, changes, outcome, path = OUTCOMES[name]
    number = open_dispute(mctx, **opening)["number"]
    view = run(mctx, number, **changes)
    assert view["status"] == outcome and view["closed_at"] and view["open_tasks"] == []
    assert view["instances"][0]["outcome"] == outcome
    record = _record(mctx, number)
    assert (record.status, record.outcome) == ("closed", outcome)
    if path:
        assert steps(view) == path
    actions = [e["action"] for e in view["timeline"]]
    assert actions[-2:] == ["mediation.closed", "workflow.ended"]


def test_the_agreement_document_is_generated_for_signing(mctx):
    number = open_dispute(mctx)["number"]
    run(mctx, number, until="sign_agreement")
    record = _record(mctx, number)
    assert (record.court_name, record.referred_from) == (None, None)  # a party's application: no court, no referral
    text = record.agreement_text
    assert text.startswith("调解协议书") and "泰山酒业集团有限公司" in text and "91370900MA3C0000XH" in text
    assert "人民币50,000.00元" in text and "2026-04-30前" in text and "被申请人停止使用并赔偿" in text
    sign = open_task(mctx, number, "sign_agreement")
    assert tasks.show_task(mctx, sign["id"], "mediator1")["draft"] == {"final_text": text}  # the editor's start
    view = run(mctx, number, sign_agreement={"signed_on": "2026-03-05", "final_text": "调解协议书（定稿）"})
    assert _record(mctx, number).agreement_text == "调解协议书（定稿）"
    assert view["status"] == "agreement_performed"


# ------------------------------------------------------------------ mediator-only routing
def test_a_mediator_sees_only_the_disputes_assigned_to_them(mctx):
    first = open_dispute(mctx, title="纠纷甲")["number"]
    second = open_dispute(mctx, title="纠纷乙")["number"]
    run(mctx, first, until="accept_dispute")
    run(mctx, second, until="accept_dispute", assign_mediator={"method": "party_choice", "mediator": "mediator2"})
    assert holders(mctx, first) == {"accept_dispute": "mediator1"}
    assert holders(mctx, second) == {"accept_dispute": "mediator2"}

    mine = tasks.list_tasks(mctx, username="mediator1")
    assert [(t["case"], t["step"]) for t in mine] == [(first, "accept_dispute")]
    assert tasks.list_tasks(mctx, username="mediator1", tab="group") == []
    other = open_task(mctx, second)
    for attempt in (lambda: tasks.show_task(mctx, other["id"], "mediator1"),
                    lambda: cases.show_case(mctx, second, viewer="mediator1"),
                    lambda: desk.show_dispute(mctx, number=second, username="mediator1")):
        with pytest.raises(NotFound):
            attempt()
    with pytest.raises((Forbidden, NotFound)):
        tasks.complete(mctx, username="mediator1", task_id=other["id"], data={"decision": "accept"})
    with pytest.raises(Forbidden):
        tasks.unclaim(mctx, username="mediator2", task_id=other["id"])  # never back to the group
    with pytest.raises(Forbidden):
        tasks.reassign(mctx, username="city.head", task_id=other["id"], to_username="mediator1", reason="x")
    assert [d["number"] for d in desk.my_disputes(mctx, username="mediator1")] == [first]
    assert cases.show_case(mctx, first, viewer="mediator1")["number"] == first
    # the centre head sees both
    rows = {r["username"]: r for r in desk.caseload(mctx, username="mediation.head")}
    assert [d["number"] for d in rows["mediator1"]["disputes"]] == [first]
    assert [d["number"] for d in rows["mediator2"]["disputes"]] == [second]


def test_every_mediator_step_stays_with_the_assigned_mediator(mctx):
    number = open_dispute(mctx)["number"]
    view = run(mctx, number)
    with mctx.uow() as uow:
        rows = uow.session.scalars(select(HumanTask).where(HumanTask.role == "mediator")).all()
        users = {cases.lookups.user(uow.session, "mediator1").id}
        assert rows and {r.completed_by_id for r in rows} == users and {r.assignee_id for r in rows} == users
    assert view["status"] == "agreement_performed"


# ------------------------------------------------------------------ decline and reassignment
def test_a_decline_reassigns_the_dispute_to_the_next_suitable_mediator(mctx):
    number = open_dispute(mctx, ip_type="patent", technical_field="机械")["number"]
    run(mctx, number, until="accept_dispute")
    with pytest.raises(Invalid) as err:  # a reason is required
        complete(mctx, number, "accept_dispute", "mediator1", decision="decline", reason=None)
    assert "reason" in err.value.errors
    complete(mctx, number, "accept_dispute", "mediator1", decision="decline", reason="近期出差")
    # mediator2 knows patents and machinery; the head knows patents only
    assert holders(mctx, number) == {"accept_dispute": "mediator2"}
    with mctx.uow() as uow:
        history = [(a.method, a.response, a.reason) for a in uow.session.scalars(
            select(MediationAssignment).order_by(MediationAssignment.id))]
    assert history == [("designated", "declined", "近期出差"), ("reassigned_after_decline", "pending", None)]
    view = run(mctx, number)
    assert view["status"] == "agreement_performed"
    assert [e["action"] for e in view["timeline"]].count("mediation.declined") == 1


def test_when_every_mediator_declines_the_head_assigns_again(mctx):
    number = open_dispute(mctx)["number"]
    run(mctx, number, until="accept_dispute")
    for _ in range(3):  # mediator1, then the two others in turn
        [(step, holder)] = holders(mctx, number).items()
        assert step == "accept_dispute"
        complete(mctx, number, "accept_dispute", holder, decision="decline", reason="不便")
    [task] = cases.show_case(mctx, number)["open_tasks"]
    assert (task["step"], task["role"]) == ("assign_mediator", "mediation_head")
    with pytest.raises(Invalid, match="already declined"):
        complete(mctx, number, "assign_mediator", "mediation.head", method="designated", mediator="mediator1")


# ------------------------------------------------------------------ conflicts and suggestions
def test_assignment_refuses_a_mediator_related_to_a_party_and_says_why(mctx):
    mediation_roster.declare_relationship(mctx, username="mediator1", actor="mediator1", kind="former_client",
                                          party_name="某某商贸", party_uscc=RESPONDENT["uscc"])
    mediation_roster.declare_relationship(mctx, username="mediator2", actor="mediation.head", kind="employer",
                                          party_name="泰山酒业集团有限公司")
    number = open_dispute(mctx)["number"]
    run(mctx, number, until="assign_mediator")
    for mediator, why in (("mediator1", "USCC 91370900MA3C0000XH"), ("mediator2", "by name")):
        with pytest.raises(Invalid, match=why) as err:
            complete(mctx, number, "assign_mediator", "mediation.head", method="designated", mediator=mediator)
        assert "mediator" in err.value.errors
    assert holders(mctx, number) == {"assign_mediator": None}  # still the centre heads' step
    ranked = desk.suggestions(mctx, number=number, username="mediation.head")
    assert [(r["username"], r["eligible"]) for r in ranked] == \
        [("mediation.head", True), ("mediator1", False), ("mediator2", False)]
    assert "former client" in ranked[1]["problems"][0]["en"]
    complete(mctx, number, "assign_mediator", "mediation.head", method="suggested", mediator=None)
    assert holders(mctx, number) == {"accept_dispute": "mediation.head"}


def test_suggestions_rank_by_expertise_load_and_acceptance_with_reasons(mctx):
    number = open_dispute(mctx, ip_type="patent", technical_field="机械")["number"]
    ranked = desk.suggestions(mctx, number=number, username="mediation.head")
    assert ranked[0]["username"] == "mediator2"
    reasons = " ".join(r["en"] for r in ranked[0]["reasons"])
    assert "expertise matches (patent)" in reasons and "technical field" in reasons and "load 0/4" in reasons
    with pytest.raises(Forbidden):
        desk.suggestions(mctx, number=number, username="mediator1")


# ------------------------------------------------------------------ absence
def test_an_absent_mediators_steps_go_to_the_named_substitute(mctx, clock):
    number = open_dispute(mctx)["number"]
    run(mctx, number, until="schedule_session")
    assert holders(mctx, number) == {"schedule_session": "mediator1"}
    today = clock.now().date()
    result = desk.record_absence(mctx, username="mediator1", actor="mediation.head", starts_on=today,
                                 ends_on=today + timedelta(days=10), substitute="mediator2", reason="病假")
    assert len(result["delegated_tasks"]) == 1
    assert holders(mctx, number) == {"schedule_session": "mediator2"}
    complete(mctx, number, "schedule_session", "mediator2")
    assert holders(mctx, number) == {"record_session": "mediator2"}  # new steps too, while absent
    assert [d["number"] for d in desk.my_disputes(mctx, username="mediator2")] == [number]
    # no new assignment while absent
    other = open_dispute(mctx, title="另一纠纷")["number"]
    run(mctx, other, until="assign_mediator")
    with pytest.raises(Invalid, match="absent"):
        complete(mctx, other, "assign_mediator", "mediation.head", method="designated", mediator="mediator1")
    # back after the absence: new steps are theirs again
    clock.advance(timedelta(days=12))
    complete(mctx, number, "record_session", "mediator2", result="next_session")
    assert holders(mctx, number) == {"schedule_session": "mediator1"}
    view = cases.show_case(mctx, number)
    assert [e["action"] for e in view["timeline"]].count("task.delegated") == 1


def test_a_substitute_related_to_a_party_is_refused(mctx, clock):
    mediation_roster.declare_relationship(mctx, username="mediator2", actor="mediator2", kind="relative_company",
                                          party_name=RESPONDENT["name"])
    number = open_dispute(mctx)["number"]
    run(mctx, number, until="schedule_session")
    with pytest.raises(Invalid, match="relative's company"):
        desk.record_absence(mctx, username="mediator1", actor="mediator1", starts_on=clock.now().date(),
                            ends_on=clock.now().date(), substitute="mediator2")
    assert holders(mctx, number) == {"schedule_session": "mediator1"}


# ------------------------------------------------------------------ recusal
def test_a_granted_recusal_moves_the_dispute_and_is_audited(mctx):
    number = open_dispute(mctx)["number"]
    run(mctx, number, until="schedule_session")
    request = desk.request_recusal(mctx, number=number, username="mediation.head", requested_by="泰安市某某商贸有限公司",
                                   grounds="调解员曾为申请人提供咨询")
    with pytest.raises(Forbidden):
        desk.decide_recusal(mctx, request_id=request["id"], username="mediator2", decision="granted", reason="x")
    result = desk.decide_recusal(mctx, request_id=request["id"], username="mediation.head", decision="granted",
                                 reason="理由成立", replacement="mediator2")
    assert result["replacement"] == "mediator2" and len(result["moved_tasks"]) == 1
    assert holders(mctx, number) == {"schedule_session": "mediator2"}
    assert desk.my_disputes(mctx, username="mediator1") == []
    with pytest.raises(NotFound):  # the recused mediator no longer sees the dispute
        desk.show_dispute(mctx, number=number, username="mediator1")
    with pytest.raises(NotFound):
        cases.show_case(mctx, number, viewer="mediator1")
    with pytest.raises(Conflict):
        desk.decide_recusal(mctx, request_id=request["id"], username="mediation.head", decision="refused", reason="x")
    actions = [e["action"] for e in cases.show_case(mctx, number)["timeline"]]
    assert "mediation.recusal_requested" in actions and "mediation.recusal_decided" in actions
    assert run(mctx, number)["status"] == "agreement_performed"


def test_a_refused_recusal_changes_nothing(mctx):
    number = open_dispute(mctx)["number"]
    run(mctx, number, until="schedule_session")
    request = desk.request_recusal(mctx, number=number, username="mediator1", requested_by="泰山酒业集团有限公司",
                                   grounds="认为调解员偏向对方")
    desk.decide_recusal(mctx, request_id=request["id"], username="mediation.head", decision="refused",
                        reason="无法定回避事由")
    assert holders(mctx, number) == {"schedule_session": "mediator1"}


@pytest.mark.parametrize("field, value", [("requested_by", "某" * 201), ("grounds", "理" * 1001)],
                         ids=["requested_by", "grounds"])
def test_a_recusal_request_longer_than_its_record_holds_is_refused_by_field(mctx, field, value):
    number = open_dispute(mctx)["number"]
    run(mctx, number, until="schedule_session")
    given = {"requested_by": "泰山酒业集团有限公司", "grounds": "认为调解员偏向对方", field: value}
    with pytest.raises(Invalid) as err:
        desk.request_recusal(mctx, number=number, username="mediator1", **given)
    assert set(err.value.errors) == {field}
    assert desk.show_dispute(mctx, number=number, username="mediation.head")["recusals"] == []


def test_a_recusal_decision_with_reasons_longer_than_the_record_holds_is_refused(mctx):
    number = open_dispute(mctx)["number"]
    run(mctx, number, until="schedule_session")
    request = desk.request_recusal(mctx, number=number, username="mediator1", requested_by="泰山酒业集团有限公司",
                                   grounds="认为调解员偏向对方")
    with pytest.raises(Invalid) as err:
        desk.decide_recusal(mctx, request_id=request["id"], username="mediation.head", decision="refused",
                            reason="由" * 1001)
    assert set(err.value.errors) == {"reason"}
    assert holders(mctx, number) == {"schedule_session": "mediator1"}


# ------------------------------------------------------------------ clocks (workflows/clocks/mediation.yaml)
def due(day: str) -> str:
    """The end of a day in Tai'an, as task rows and clocks keep it."""
    return f"{date.fromisoformat(day)}T16:00:00+00:00"


@pytest.mark.parametrize("opening, rule, last_day", [
    ({}, "mediation_peoples", "2026-04-02"),                                  # people's mediation: 1 month
    ({"source": "court_assigned", **COURT}, "mediation_court_assigned", "2026-04-01"),       # 委派 30 CD
    ({"source": "court_entrusted", **COURT, "court_procedure": "ordinary"},
     "mediation_court_entrusted_ordinary", "2026-03-17"),                     # 委托 15 CD
    ({"source": "court_entrusted", **COURT, "court_procedure": "simplified"},
     "mediation_court_entrusted_simplified", "2026-03-09"),                   # 委托, simplified: 7 CD
])
def test_the_mediation_period_runs_from_acceptance(mctx, opening, rule, last_day):
    number = open_dispute(mctx, **opening)["number"]
    run(mctx, number, until="give_opening_notice")
    assert _record(mctx, number).clock == rule
    [task] = cases.show_case(mctx, number)["open_tasks"]
    assert task["due_at"] == due(last_day)  # accepted on Monday 2026-03-02
    view = desk.show_dispute(mctx, number=number, username="mediator1")
    assert view["due_at"] == due(last_day)
    assert [d["rule"] for d in view["deadlines"]] == [rule] + ([None] if opening else [])
    run(mctx, number, until="sign_agreement")
    assert rule not in [d["rule"] for d in desk.show_dispute(mctx, number=number, username="mediator1")["deadlines"]]


def test_consent_acceptance_and_confirmation_limits_are_on_the_steps(mctx):
    number = open_dispute(mctx)["number"]
    run(mctx, number, until="record_consent")
    assert open_task(mctx, number, "record_consent")["due_at"] == due("2026-03-09")   # 7 CD
    run(mctx, number, until="accept_dispute")
    assert open_task(mctx, number, "accept_dispute")["due_at"] == due("2026-03-05")   # 3 CD
    run(mctx, number, until="apply_confirmation")
    assert open_task(mctx, number, "apply_confirmation")["due_at"] == due("2026-04-01")  # 30 CD from signing


def test_the_parties_consent_extends_the_period_approved_by_the_head(mctx):
    number = open_dispute(mctx, source="court_assigned", **COURT)["number"]
    run(mctx, number, until="schedule_session")
    request = clocks.request_extension(mctx, username="mediator1", number=number, rule="mediation_court_assigned",
                                       length=10, reason="双方当事人书面同意延长调解期限")
    with pytest.raises(Forbidden):
        clocks.decide_extension(mctx, username="mediator1", extension_id=request["extension"]["id"], approve=True)
    clocks.decide_extension(mctx, username="mediation.head", extension_id=request["extension"]["id"], approve=True)
    # 2026-04-01 + 10 CD is Saturday 04-11: a period ending on a non-working day ends on Monday
    assert open_task(mctx, number)["due_at"] == due("2026-04-13")


# ------------------------------------------------------------------ referral from an enforcement case
def test_an_enforcement_case_refers_its_civil_part_and_hears_the_result(mctx):
    """transfer.bpmn throws mediation_referral; mediation.bpmn runs on the same case and answers."""
    number = open_case(mctx)["number"]  # a daiyue enforcement case
    transfers.refer_to_mediation(mctx, username="daiyue.officer1", number=number)
    complete(mctx, number, "refer_to_mediation", "daiyue.officer1")
    view = cases.show_case(mctx, number)
    by_step = {t["step"]: t for t in view["open_tasks"]}
    assert task_unit(mctx, by_step["register_lead"]["id"]) == "daiyue"  # the penalty track goes on
    assert task_unit(mctx, by_step["register_dispute"]["id"]) == "taian"  # the mediation centre's inbox
    assert by_step["register_dispute"]["role"] == "mediation_head"
    record = _record(mctx, number)
    assert (record.source, record.referred_from) == ("enforcement", number)
    draft = tasks.show_task(mctx, by_step["register_dispute"]["id"], "mediation.head")["draft"]
    assert (draft["source"], draft["referring_case"]) == ("enforcement", number)

    final = run(mctx, number, record_outcome={"result": "failure", "failure_reason": "赔偿数额分歧"})
    assert final["status"] == "open"
    outcomes = {i["process_id"]: (i["status"], i["outcome"]) for i in final["instances"]}
    assert outcomes["enforcement"] == ("running", None)
    assert outcomes["mediation"] == ("completed", "returned_to_enforcement")
    assert outcomes["transfer"] == ("completed", "mediation_concluded")  # it heard the result
    delivered = [e["details"] for e in final["timeline"] if e["action"] == "message.delivered"]
    assert [(d["message"], d["to_process"]) for d in delivered] == \
        [("civil_referral", "transfer"), ("mediation_referral", "mediation"), ("mediation_result", "transfer")]
    assert delivered[-1]["payload"]["outcome"] == "returned_to_enforcement"


def test_a_plain_mediation_case_throws_no_result(mctx):
    number = open_dispute(mctx, source="enforcement", referring_case="泰岱市监知线〔2026〕9号")["number"]
    view = run(mctx, number, record_outcome={"result": "failure"})
    assert view["status"] == "returned_to_enforcement"
    assert not [e for e in view["timeline"] if e["action"] == "message.delivered"
                and e["details"]["message"] == "mediation_result"]


def test_the_caseload_view_counts_running_disputes_per_mediator(mctx):
    first = open_dispute(mctx)["number"]
    run(mctx, first, until="accept_dispute")
    done = open_dispute(mctx)["number"]
    run(mctx, done)
    rows = {r["username"]: r for r in desk.caseload(mctx, username="mediation.head")}
    assert (rows["mediator1"]["active"], rows["mediator1"]["pending_acceptance"], rows["mediator1"]["accepted"]) \
        == (1, 1, 1)
    assert rows["mediator2"]["active"] == 0 and rows["mediator1"]["max_active_cases"] == 5
    with pytest.raises(Forbidden):
        desk.caseload(mctx, username="mediator1")


def test_the_demo_disputes_load_in_every_state(mctx):
    assert demo.load(mctx) == len(demo.SCENARIOS)
    with mctx.uow() as uow:
        records = uow.session.scalars(select(Mediation).order_by(Mediation.id)).all()
        states = [(r.status, r.outcome) for r in records]
    assert ("closed", "agreement_performed") in states and ("closed", "returned_to_court") in states
    assert ("closed", "consent_refused") in states and ("mediating", None) in states
    assert {d["number"] for d in desk.my_disputes(mctx, username="mediator2")}  # mediator2 holds one


def test_the_scheduler_delegates_when_an_absence_begins(mctx, clock):
    from engine.jobs.scheduler import SupervisionScheduler
    number = open_dispute(mctx)["number"]
    run(mctx, number, until="schedule_session")
    tomorrow = clock.now().date() + timedelta(days=1)
    result = desk.record_absence(mctx, username="mediator1", actor="mediator1", starts_on=tomorrow,
                                 ends_on=tomorrow + timedelta(days=3), substitute="mediator2")
    assert result["delegated_tasks"] == []  # not yet
    sched = SupervisionScheduler(mctx, holder="test")
    assert sched.tick()["mediation_absences"] == 0
    clock.advance(timedelta(days=1))
    assert sched.tick()["mediation_absences"] == 1
    assert holders(mctx, number) == {"schedule_session": "mediator2"}
    assert sched.tick()["mediation_absences"] == 0  # once


def test_a_mediator_who_does_not_answer_in_time_is_replaced(mctx, clock):
    from engine.jobs.scheduler import SupervisionScheduler
    number = open_dispute(mctx, ip_type="patent", technical_field="机械")["number"]
    run(mctx, number, until="accept_dispute")
    assert holders(mctx, number) == {"accept_dispute": "mediator1"}
    sched = SupervisionScheduler(mctx, holder="test")
    clock.advance(timedelta(days=2, hours=23))
    assert sched.tick()["fire_timers"] == 0 and holders(mctx, number) == {"accept_dispute": "mediator1"}
    clock.advance(timedelta(hours=2))  # three days after the assignment
    assert sched.tick()["fire_timers"] == 1
    assert holders(mctx, number) == {"accept_dispute": "mediator2"}
    with mctx.uow() as uow:
        history = [(a.method, a.response, a.reason) for a in uow.session.scalars(
            select(MediationAssignment).order_by(MediationAssignment.id))]
    assert history == [("designated", "declined", "逾期未答复，系统改派"), ("reassigned_after_decline", "pending", None)]
    assert run(mctx, number)["status"] == "agreement_performed"


def test_silence_past_the_consent_limit_ends_the_mediation(mctx, clock):
    from engine.jobs.scheduler import SupervisionScheduler
    number = open_dispute(mctx)["number"]
    run(mctx, number, until="record_consent")
    sched = SupervisionScheduler(mctx, holder="test")
    clock.advance(timedelta(days=6))
    assert sched.tick()["fire_timers"] == 0
    clock.advance(timedelta(days=1, minutes=1))
    assert sched.tick()["fire_timers"] == 1
    view = cases.show_case(mctx, number)
    assert view["status"] == "consent_refused" and view["open_tasks"] == []
    with mctx.uow() as uow:  # the timer withdrew the waiting task: its row is closed, not completed
        states = uow.session.execute(select(HumanTask.state, HumanTask.completed_by_id).where(
            HumanTask.bpmn_id == "record_consent")).all()
    assert states == [("cancelled", None)]
    [closed] = [e for e in view["timeline"] if e["action"] == "mediation.closed"]
    assert closed["details"] == {"reason": "no reply within the consent limit"}
