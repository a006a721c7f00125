"""The mediation pages: my disputes, a dispute, the caseload view, recusal; steps via task pages."""
import re

import pytest

from engine.services import cases, mediation_roster
from engine.services import mediation_demo as demo
from tests.engine.services.helpers import open_task


@pytest.fixture
def dispute(ctx, clock):
    """Open a mediation dispute (as the centre head) and drive it to a step; returns its number."""
    with ctx.uow() as uow:
        mediation_roster.seed_roster(uow.session, clock.now())
        uow.commit()

    def make(step=None, title="商标许可使用费纠纷", **answers):
        number = cases.open_case(ctx, username="mediation.head", pipeline="mediation", unit_code="taian", fields={
            "title": title, "ip_type": "trademark", "complainant": demo.APPLICANT, "respondent": demo.RESPONDENT,
            "mediation": {"source": "court_assigned", **demo.COURT}})["number"]
        demo.drive_mediation(ctx, number, answers, until=step)
        return number
    return make


def _disputes(page: str) -> list[str]:
    return re.findall(r'data-dispute="([^"]+)"', page)


def test_a_mediator_sees_only_their_disputes_with_next_session_and_deadlines(browser, dispute):
    mine = dispute("record_session")
    other = dispute("accept_dispute", title="另一纠纷", assign_mediator={"method": "designated", "mediator": "mediator2"})
    b = browser("mediator1")
    page = b.get("/mediation/").get_data(as_text=True)
    assert _disputes(page) == [mine]
    assert "2026-03-02 10:00" in page  # the scheduled session
    assert "委派调解期限：2026-04-01" in page and "法院要求完成日期：2026-04-30" in page
    assert b.get(f"/mediation/disputes/{other}").status_code == 404
    assert b.get(f"/cases/{other}").status_code == 404
    assert b.get(f"/mediation/disputes/{mine}").status_code == 200
    assert _disputes(browser("mediator2").get("/mediation/").get_data(as_text=True)) == [other]


def test_the_mediator_accepts_and_records_a_session_through_the_task_pages(browser, dispute, ctx):
    number = dispute("accept_dispute")
    b = browser("mediator1")
    task = open_task(ctx, number, "accept_dispute")
    assert f'data-task="{task["id"]}"' in b.get("/mediation/").get_data(as_text=True)
    response = b.post(f"/tasks/{task['id']}", {"decision": "accept", "materials_received_on": "2026-03-02"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    assert open_task(ctx, number)["step"] == "give_opening_notice"


def test_the_head_sees_the_caseload_and_suggestions_and_decides_a_recusal(browser, dispute, ctx):
    number = dispute("schedule_session")
    head = browser("mediation.head")
    page = head.get("/mediation/caseload").get_data(as_text=True)
    assert re.search(r'data-mediator="mediator1">.*?class="load">1 / 5<', page, re.S)
    assert browser("mediator1").get("/mediation/caseload").status_code == 403
    page = head.get(f"/mediation/disputes/{number}").get_data(as_text=True)
    assert 'data-suggestion="mediator2"' in page
    m = browser("mediator1")
    m.get(f"/mediation/disputes/{number}")
    assert m.post(f"/mediation/disputes/{number}/recusal",
                  {"requested_by": "泰安市某某商贸有限公司", "grounds": "曾为对方提供咨询"}).status_code == 302
    page = head.get(f"/mediation/disputes/{number}").get_data(as_text=True)
    [request_id] = re.findall(r'data-recusal="(\d+)"', page)
    response = head.post(f"/mediation/recusals/{request_id}", {"number": number, "decision": "granted",
                                                              "reason": "理由成立", "replacement": "mediator2"})
    assert response.status_code == 302
    assert open_task(ctx, number)["assignee"] == "mediator2"
    assert _disputes(browser("mediator2").get("/mediation/").get_data(as_text=True)) == [number]


def test_the_agreement_editor_starts_from_the_generated_text(browser, dispute, ctx):
    number = dispute("sign_agreement", **{"report_to_court": {}})
    task = open_task(ctx, number, "sign_agreement")
    page = browser("mediator1").get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert 'name="final_text"' in page
    assert "调解协议书" in page and "人民币50,000.00元" in page and "泰安市中级人民法院委派调解" in page


def test_a_mediator_who_declined_no_longer_lists_the_dispute(browser, dispute, ctx):
    from engine.services import inbox
    number = dispute("accept_dispute")
    demo.drive_mediation(ctx, number, {"accept_dispute": [{"decision": "decline", "reason": "出差"},
                                                          {"decision": "accept"}]}, until="give_opening_notice")
    for tab in inbox.TABS:
        page = inbox.list_inbox(ctx, username="mediator1", tab=tab)
        assert [r["case"] for r in page.rows] == [], tab
    assert [r["case"] for r in inbox.list_inbox(ctx, username="mediation.head", tab="mine").rows] == [number]
    assert browser("mediator1").get(f"/mediation/disputes/{number}").status_code == 404
