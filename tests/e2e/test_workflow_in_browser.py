"""In a real browser: an officer claims and completes a step (after fixing an error), a legal reviewer
returns the case, a unit head reassigns, and the case page draws the diagram with the current step."""
import re

import pytest
from playwright.sync_api import expect

from engine.services import cases
from tests.engine.services.helpers import open_case, open_task
from engine.services import tasks
from engine.services.demo import drive

pytestmark = pytest.mark.e2e


def _case_at(ctx, step):
    number = open_case(ctx)["number"]
    drive(ctx, number, {}, until=step)
    return number


def _field(page, name):
    return page.locator(f'[data-field="{name}"]')


def test_officer_claims_fixes_an_error_and_completes(page, login, shot, ctx):
    number = _case_at(ctx, "verify_lead")
    login("daiyue.officer1")
    page.get_by_role("link", name=re.compile("组内待认领")).click()
    shot("01_inbox_group_tab")
    row = page.locator("tr", has_text=number)
    row.get_by_role("button", name="认领").click()
    expect(page.locator(".flash.success")).to_contain_text("已认领任务")
    page.goto("/inbox")
    expect(page.locator("tr", has_text=number)).to_contain_text("daiyue.officer1")
    page.locator("tr", has_text=number).get_by_role("link", name="核查").click()
    expect(page.locator("h1")).to_contain_text("核查")

    _field(page, "officers").locator("input").fill("张三（37000001）、李四（37000002）")
    _field(page, "right_holder_identification").locator("select").select_option("not_needed")
    _field(page, "offence_date").locator("input").fill("2026-02-20")
    _field(page, "proposal").locator("select").select_option("file")
    page.get_by_role("button", name="提交办结").click()  # findings left empty
    expect(_field(page, "findings").locator(".field-error")).to_contain_text("此项为必填项")
    expect(_field(page, "officers").locator("input")).to_have_value("张三（37000001）、李四（37000002）")
    shot("02_task_form_with_error")

    _field(page, "findings").locator("textarea").fill("经现场核查，当事人仓库存放涉嫌侵权白酒120箱。")
    page.get_by_role("button", name="提交办结").click()
    page.wait_for_url(re.compile(r"/cases/"))
    expect(page.locator(".flash.success")).to_contain_text("已完成环节：核查")
    canvas = page.locator(".bpmn-canvas").first
    expect(canvas).to_have_attribute("data-rendered", "true")
    expect(page.locator('.djs-element.step-current[data-element-id="decide_filing"]')).to_have_count(1)
    expect(page.locator('.djs-element.step-done[data-element-id="verify_lead"]')).to_have_count(1)
    expect(page.locator("#timeline")).to_contain_text("办结了")
    shot("03_case_page_with_diagram")
    assert cases.show_case(ctx, number)["stage"] == "decide_filing"


def test_legal_reviewer_returns_the_case(page, login, shot, ctx):
    number = _case_at(ctx, "legal_review")
    login("daiyue.legal")
    page.get_by_role("link", name=re.compile("组内待认领")).click()
    page.locator("tr", has_text=number).get_by_role("button", name="认领").click()
    page.goto(f"/tasks/{open_task(ctx, number, 'legal_review')['id']}")
    expect(page.locator(".earlier")).to_be_visible()
    _field(page, "opinion").locator("select").select_option("return")
    _field(page, "opinion_text").locator("textarea").fill("证据不足：缺少权利人出具的鉴定意见，退回补充调查。")
    _field(page, "reviewed_on").locator("input").fill("2026-03-02")
    shot("04_legal_review_form")
    page.get_by_role("button", name="提交办结").click()
    page.wait_for_url(re.compile(r"/cases/"))
    expect(page.locator("#tasks")).to_contain_text("调查取证")
    expect(page.locator('.djs-element.step-current[data-element-id="investigate"]')).to_have_count(1)
    shot("05_case_returned")
    assert [t["step"] for t in cases.show_case(ctx, number)["open_tasks"]] == ["investigate"]


def test_unit_head_reassigns(page, login, shot, ctx):
    number = _case_at(ctx, "verify_lead")
    task_id = open_task(ctx, number, "verify_lead")["id"]
    tasks.claim(ctx, username="daiyue.officer1", task_id=task_id)
    login("daiyue.head")
    page.goto(f"/tasks/{task_id}")
    reassign = page.locator(".reassign")
    reassign.get_by_label("改派给").select_option("daiyue.officer2")
    reassign.get_by_label("理由").fill("原承办人参加培训，改由乙办理")
    shot("06_reassign_form")
    reassign.get_by_role("button", name="改派").click()
    expect(page.locator(".flash.success")).to_contain_text("任务已改派给 daiyue.officer2")
    expect(page.locator(".holder")).to_have_text("daiyue.officer2")
    page.goto(f"/cases/{number}")
    expect(page.locator("#timeline")).to_contain_text("原承办人参加培训")
    expect(page.locator('.djs-element.step-current[data-element-id="verify_lead"]')).to_have_count(1)
    shot("07_case_after_reassign")
    assert open_task(ctx, number, "verify_lead")["assignee"] == "daiyue.officer2"


def test_admin_sees_a_workflow_diagram_and_english_works(page, login, shot):
    login("admin")
    page.goto("/admin/workflows")
    shot("08_admin_workflows")
    page.get_by_role("link", name="流程图").first.click()
    expect(page.locator(".bpmn-canvas")).to_have_attribute("data-rendered", "true")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("link", name="Inbox")).to_be_visible()
    page.goto("/inbox")
    shot("09_inbox_english")


def test_officer_registers_a_lead_from_the_navigation(page, login, shot, ctx):
    login("daiyue.officer1")
    page.get_by_role("link", name="登记案件").click()
    expect(page.locator("h1")).to_contain_text("登记案件")
    mediation = page.locator('fieldset[data-pipeline="mediation"]')
    expect(mediation).to_be_hidden()  # shown only for a referral to mediation
    page.locator('select[name="pipeline"]').select_option("mediation")
    expect(mediation).to_be_visible()
    page.locator('select[name="pipeline"]').select_option("enforcement")
    page.locator('input[name="title"]').fill("涉嫌销售假冒“泰山”牌白酒")
    page.locator('input[name="respondent.name"]').fill("泰安市某某商贸有限公司")
    page.locator('input[name="respondent.uscc"]').fill("123")  # a mistake: kept and marked
    page.get_by_role("button", name="登记并开始办理").click()
    expect(page.locator(".field-error").first).to_be_visible()  # the IP type is missing; the code is wrong
    expect(page.locator('input[name="respondent.name"]')).to_have_value("泰安市某某商贸有限公司")
    shot("09_new_case_with_errors")
    page.locator('select[name="ip_type"]').select_option("trademark")
    page.locator('input[name="respondent.uscc"]').fill("91370900MA3C0000XH")
    page.get_by_role("button", name="登记并开始办理").click()
    page.wait_for_url(re.compile(r"/cases/"))
    expect(page.locator(".flash.success")).to_contain_text("已登记")
    expect(page.locator("#tasks")).to_contain_text("线索登记")
    shot("10_new_case_opened")
    number = page.url.rsplit("/cases/", 1)[1]
    from urllib.parse import unquote
    assert cases.show_case(ctx, unquote(number))["parties"][0]["uscc"] == "91370900MA3C0000XH"


def test_officer_downloads_the_transfer_package_from_the_case_page(page, login, shot, ctx):
    import hashlib
    from urllib.parse import quote
    from tests.engine.services.helpers import PROPOSAL, complete, transfer_at_proposal
    number = transfer_at_proposal(ctx)
    complete(ctx, number, "propose_criminal_transfer", "daiyue.officer1", **PROPOSAL)
    complete(ctx, number, "approve_criminal_transfer", "daiyue.head", decision="approve", opinion="同意移送")
    package = cases.show_case(ctx, number)["transfer_packages"][0]
    login("daiyue.officer1")
    page.goto(f"/cases/{quote(number, safe='')}")
    section = page.locator("#transfer-packages")
    expect(section).to_contain_text("移送材料")
    section.scroll_into_view_if_needed()
    shot("11_case_transfer_packages")
    with page.expect_download() as download:
        section.get_by_role("link", name="ZIP").click()
    saved = download.value.path()
    assert hashlib.sha256(open(saved, "rb").read()).hexdigest() == package["zip_sha256"]
    assert download.value.suggested_filename.endswith(".zip")
