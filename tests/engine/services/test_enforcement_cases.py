"""Enforcement cases through the engine services: persisted, audited, one transaction a step."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, func, select, update

from engine.context import build_context
from engine.errors import Forbidden, Invalid, NotFound, TaskAlreadyCompleted
from engine.forms.samples import sample_submission
from engine.models import AuditEvent, CaseClock, HumanTask, WorkflowInstance
from engine.runtime.warm_runs import WarmRuns
from engine.services import cases, tasks
from engine.services.demo import drive

from tests.statements import sql_sent, statements

from .helpers import complete, complete_task, open_case, open_task


def test_opening_a_case_numbers_it_and_gives_the_opener_the_first_step(ctx):
    view = open_case(ctx)
    assert view["number"] == "泰岱市监知线〔2026〕1号"
    assert view["status"] == "open" and view["stage"] == "register_lead"
    [task] = view["open_tasks"]
    assert (task["step"], task["role"], task["assignee"]) == ("register_lead", "officer", "daiyue.officer1")
    assert [e["action"] for e in view["timeline"]] == ["case.opened"]
    assert view["parties"][0]["uscc"] == "91370900MA3C0000XH"


def test_happy_path_closes_the_case_and_issues_the_filing_number_once(ctx):
    number = open_case(ctx)["number"]
    view = drive(ctx, number, answers={})
    assert view["status"] == "closed" and view["closed_at"] and view["open_tasks"] == []
    kinds = {n["kind"]: n["number"] for n in view["numbers"]}
    assert kinds["立"] == "泰岱市监知立〔2026〕1号"
    assert cases.show_case(ctx, kinds["立"])["number"] == number  # found by any number
    steps = [e["details"]["step"] for e in view["timeline"] if e["action"] == "task.completed"]
    assert steps == ["register_lead", "verify_lead", "decide_filing", "investigate", "write_report",
                     "legal_review", "approve_proposal", "issue_notice", "record_defence", "decide_penalty",
                     "serve_decision", "publish_decision", "record_execution", "approve_closing"]
    actions = [e["action"] for e in view["timeline"]]
    assert actions.index("case.number_issued") == actions.index("task.completed") + 3  # right after 立案审批


@pytest.mark.parametrize("answers, outcome, numbered", [
    ({"verify_lead": {"proposal": "not_file"}, "decide_filing": {"decision": "not_file"}}, "not_filed", False),
    ({"approve_proposal": {"decision": "transfer"}}, "transferred_to_police", True),  # transfer.bpmn: filed
    ({"approve_proposal": {"decision": "withdraw"}}, "withdrawn", True),
    ({"approve_proposal": {"decision": "no_penalty"}}, "closed", True),
])
def test_every_outcome_is_recorded_on_the_case(ctx, answers, outcome, numbered):
    number = open_case(ctx)["number"]
    view = drive(ctx, number, answers)
    assert view["status"] == outcome
    assert view["instances"][0]["outcome"] == outcome
    assert any(n["kind"] == "立" for n in view["numbers"]) is numbered
    assert view["closed_at"] is not None


def test_legal_review_can_send_the_case_back_many_times(ctx):
    number = open_case(ctx)["number"]
    returns = [{"opinion": "return"}] * 60 + [{"opinion": "agree"}]
    view = drive(ctx, number, {"legal_review": returns}, max_steps=400)
    assert view["status"] == "closed"
    with ctx.uow() as uow:
        reviews = uow.session.scalar(select(func.count()).select_from(HumanTask).where(
            HumanTask.bpmn_id == "legal_review", HumanTask.state == "completed"))
        [state_size] = uow.session.scalars(select(func.length(WorkflowInstance.state))).all()
    assert reviews == 61
    assert state_size < 200_000


def test_a_case_continues_after_a_restart(ctx):
    number = open_case(ctx)["number"]
    drive(ctx, number, {}, until="write_report")
    restarted = build_context(ctx.settings, clock=ctx.clock)  # new engine, new sessions
    try:
        assert open_task(restarted, number)["step"] == "write_report"
        assert drive(restarted, number, {})["status"] == "closed"
    finally:
        restarted.db.dispose()


def _snapshot(ctx) -> tuple:
    with ctx.uow() as uow:
        s = uow.session
        return (s.scalar(select(func.count()).select_from(AuditEvent)),
                s.scalar(select(func.count()).select_from(HumanTask)),
                tuple(s.scalars(select(WorkflowInstance.version))),
                tuple(s.scalars(select(HumanTask.state).order_by(HumanTask.id))))


def test_invalid_form_data_names_each_field_and_changes_nothing(ctx):
    number = open_case(ctx)["number"]
    task = open_task(ctx, number)
    before = _snapshot(ctx)
    with pytest.raises(Invalid) as err:
        tasks.complete(ctx, username="daiyue.officer1", task_id=task["id"],
                       data={"source": "rumour", "received_date": "2026-13-01", "datetime": "x"})
    assert {"source", "received_date", "datetime", "conduct"} <= set(err.value.errors)
    assert _snapshot(ctx) == before


def test_racing_completions_have_exactly_one_winner(ctx):
    number = open_case(ctx)["number"]
    drive(ctx, number, {}, until="verify_lead")
    task = open_task(ctx, number, "verify_lead")
    from engine.forms.samples import sample_submission
    data = sample_submission(ctx.forms.get("verification"))
    barrier = threading.Barrier(4)

    def attempt(user):
        barrier.wait()
        try:
            tasks.complete(ctx, username=user, task_id=task["id"], data=data)
            return "won"
        except TaskAlreadyCompleted:
            return "conflict"

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(attempt, ["daiyue.officer1", "daiyue.officer2"] * 2))
    assert sorted(results) == ["conflict", "conflict", "conflict", "won"]
    view = cases.show_case(ctx, number)
    assert [t["step"] for t in view["open_tasks"]] == ["decide_filing"]
    assert sum(1 for e in view["timeline"] if e["action"] == "task.completed") == 2


def test_cases_opened_at_once_get_distinct_consecutive_numbers(ctx):
    with ThreadPoolExecutor(max_workers=6) as pool:
        numbers = list(pool.map(lambda _: open_case(ctx)["number"], range(12)))
    assert sorted(numbers, key=lambda n: int(n.split("〕")[1][:-1])) == \
        [f"泰岱市监知线〔2026〕{i}号" for i in range(1, 13)]


def test_unknown_things_are_clear_errors(ctx):
    with pytest.raises(NotFound, match="No active user named ghost"):
        tasks.list_tasks(ctx, username="ghost")
    with pytest.raises(NotFound, match="No task 999"):
        tasks.complete(ctx, username="daiyue.officer1", task_id=999, data={})
    with pytest.raises(NotFound, match="No case numbered"):
        cases.show_case(ctx, "泰岱市监知线〔2026〕99号")
    with pytest.raises(NotFound, match="No unit with code atlantis"):
        open_case(ctx, unit="atlantis", user="daiyue.officer1")
    with pytest.raises(Invalid, match="ip_type"):
        open_case(ctx, ip_type="design")


def test_scope_and_roles_are_enforced(ctx):
    number = open_case(ctx)["number"]
    task = open_task(ctx, number)
    with pytest.raises(NotFound):  # another county's task does not exist for them
        tasks.claim(ctx, username="taishan.officer1", task_id=task["id"])
    with pytest.raises(Forbidden):  # held by officer1
        complete(ctx, number, "register_lead", "daiyue.officer2")
    with pytest.raises(Forbidden):
        open_case(ctx, user="daiyue.head")  # heads do not register leads
    with pytest.raises(NotFound):
        cases.show_case(ctx, number, viewer="taishan.supervisor")
    assert cases.show_case(ctx, number, viewer="city.supervisor")["number"] == number
    denied = [e for e in cases.show_case(ctx, number)["timeline"] if e["action"] == "access.denied"]
    assert [e["actor"] for e in denied] == ["taishan.officer1", "taishan.supervisor"]


def test_claim_unclaim_and_reassign(ctx):
    number = open_case(ctx)["number"]
    complete(ctx, number, "register_lead", "daiyue.officer1")
    task = open_task(ctx, number, "verify_lead")
    assert task["assignee"] is None
    assert [t["id"] for t in tasks.list_tasks(ctx, username="daiyue.officer2", tab="group")] == [task["id"]]
    assert tasks.claim(ctx, username="daiyue.officer2", task_id=task["id"])["assignee"] == "daiyue.officer2"
    with pytest.raises(Exception, match="already been claimed"):
        tasks.claim(ctx, username="daiyue.officer1", task_id=task["id"])
    assert tasks.list_tasks(ctx, username="daiyue.officer1", tab="group") == []
    tasks.unclaim(ctx, username="daiyue.officer2", task_id=task["id"])
    with pytest.raises(Forbidden):
        tasks.reassign(ctx, username="daiyue.officer1", task_id=task["id"], to_username="daiyue.officer2",
                       reason="x")
    with pytest.raises(Invalid, match="cannot take"):
        tasks.reassign(ctx, username="daiyue.head", task_id=task["id"], to_username="daiyue.legal", reason="x")
    with pytest.raises(Invalid, match="reason"):
        tasks.reassign(ctx, username="daiyue.head", task_id=task["id"], to_username="daiyue.officer1", reason=" ")
    view = tasks.reassign(ctx, username="daiyue.head", task_id=task["id"], to_username="daiyue.officer1",
                          reason="officer2 on leave")
    assert view["assignee"] == "daiyue.officer1"
    [mine] = tasks.list_tasks(ctx, username="daiyue.officer1", tab="mine")
    assert mine["id"] == task["id"]
    trail = [(e["action"], e["before"], e["after"]) for e in cases.show_case(ctx, number)["timeline"]
             if e["action"].startswith("task.") and e["action"] != "task.completed"]
    assert trail == [
        ("task.claimed", {"assignee": None}, {"assignee": "daiyue.officer2"}),
        ("task.unclaimed", {"assignee": "daiyue.officer2"}, {"assignee": None}),
        ("task.reassigned", {"assignee": None}, {"assignee": "daiyue.officer1"}),
    ]


def test_claiming_a_task_of_a_role_no_rule_pins_reads_no_workflow(ctx):
    number = open_case(ctx)["number"]
    complete(ctx, number, "register_lead", "daiyue.officer1")
    task = open_task(ctx, number, "verify_lead")
    with sql_sent(ctx) as sent:
        tasks.claim(ctx, username="daiyue.officer2", task_id=task["id"])
        tasks.unclaim(ctx, username="daiyue.officer2", task_id=task["id"])
    read = [stmt for stmt, _ in sent if "FROM workflow_instances" in stmt or "FROM workflow_definitions" in stmt]
    assert read == [], read  # whether the task is pinned needs its process only for a pinned role


def test_drafts_keep_partial_input_without_moving_the_case(ctx):
    number = open_case(ctx)["number"]
    task = open_task(ctx, number)
    tasks.save_draft(ctx, username="daiyue.officer1", task_id=task["id"], data={"conduct": "未写完", "bogus": 1})
    shown = tasks.show_task(ctx, task["id"])
    assert shown["draft"] == {"conduct": "未写完"} and shown["state"] == "open"
    assert "conduct" in shown["form_schema"]["properties"]


def test_posted_fields_are_read_by_the_form_of_the_task_they_complete(ctx):
    number = open_case(ctx)["number"]
    task = open_task(ctx, number)
    asked = []

    def posted(form):
        asked.append(form.id)
        return sample_submission(form)

    tasks.save_draft(ctx, username="daiyue.officer1", task_id=task["id"], data=posted)
    result = tasks.complete(ctx, username="daiyue.officer1", task_id=task["id"], data=posted)
    assert asked == [task["form"], task["form"]]
    assert result["task"]["state"] == "completed" and result["next_tasks"]


def test_completing_a_step_sends_a_bounded_number_of_statements(ctx):
    number = open_case(ctx)["number"]
    complete(ctx, number, "register_lead", "daiyue.officer1")
    task = open_task(ctx, number, "verify_lead")
    with statements(ctx) as sent:
        complete_task(ctx, task, "daiyue.officer1")
    changed = [w for w in sent if w in ("INSERT", "UPDATE", "DELETE", "WITH")]
    # the completed task, its audit event, the instance state, the case stage and the new
    # task: on PostgreSQL one statement (engine/store/together.py)
    assert changed == (["WITH"] if ctx.db.dialect.name == "postgresql" else ["INSERT"] + ["UPDATE"] * 3 + ["INSERT"]), \
        changed
    # task, instance, case, previous answer (locked), the user with their roles and the case's
    # running clocks, in one. Which of the instance's tasks are open comes from the workflow
    # state, not a query.
    assert sent.count("SELECT") == 1, sent


def test_a_step_in_a_process_that_did_not_save_the_workflow_reads_its_state_in_the_locking_read(ctx):
    number = open_case(ctx)["number"]
    complete(ctx, number, "register_lead", "daiyue.officer1")
    task = open_task(ctx, number, "verify_lead")
    ctx.runs = WarmRuns()  # as in another web worker
    with statements(ctx) as sent:
        result = complete_task(ctx, task, "daiyue.officer1")
    assert [t["step"] for t in result["next_tasks"]] == ["decide_filing"]
    assert sent.count("SELECT") == 1, sent


def test_a_kept_workflow_that_another_process_moved_on_is_read_from_the_database(ctx):
    number = open_case(ctx)["number"]
    complete(ctx, number, "register_lead", "daiyue.officer1")
    task = open_task(ctx, number, "verify_lead")
    assert ctx.runs.likely_holds(task["id"])  # this process opened it: its lock leaves the state out
    with ctx.uow() as uow:  # another process wrote the instance meanwhile (same state, next version)
        uow.session.execute(update(WorkflowInstance).where(WorkflowInstance.id == uow.session.get(
            HumanTask, task["id"]).instance_id).values(version=WorkflowInstance.version + 1))
        uow.commit()
    with statements(ctx) as sent:
        result = complete_task(ctx, task, "daiyue.officer1")
    assert [t["step"] for t in result["next_tasks"]] == ["decide_filing"]
    assert sent.count("SELECT") == 2, sent  # the state, read once the version showed the kept one stale


def test_a_step_loads_only_the_running_clocks_however_many_rounds_the_case_went(ctx):
    number = open_case(ctx)["number"]
    drive(ctx, number, {"legal_review": [{"opinion": "return"}] * 5 + [{"opinion": "agree"}]},
          until="approve_proposal")
    clocks_view = cases.show_case(ctx, number)["clocks"]
    assert [c["rule"] for c in clocks_view].count("legal_review") == 6  # one per review round
    # each return reopened `investigate`, whose opening starts the once-only case clock
    assert [c["rule"] for c in clocks_view].count("decide_case") == 1
    task = open_task(ctx, number, "approve_proposal")
    loaded = []
    listener = lambda clock, _ctx: loaded.append(clock.rule)  # noqa: E731
    event.listen(CaseClock, "load", listener)
    try:
        complete_task(ctx, task, "daiyue.head")
    finally:
        event.remove(CaseClock, "load", listener)
    assert loaded == ["decide_case"]

