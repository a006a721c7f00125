"""In a real browser: a mediator logs in, finds the dispute in "my disputes", accepts it,
schedules and records a session, records the agreement and signs the generated 调解协议书."""
import re

import pytest
from playwright.sync_api import expect

from engine.services import cases, mediation_roster
from engine.services import mediation_demo as demo
from tests.engine.services.helpers import open_task

pytestmark = pytest.mark.e2e


def _field(page, name):
    return page.locator(f'[data-field="{name}"]')


def _submit(page):
    page.get_by_role("button", name="提交办结").click()
    page.wait_for_url(re.compile(r"/cases/"))


def test_a_mediator_accepts_records_a_session_and_completes_an_agreement(page, login, shot, ctx, clock):
    with ctx.uow() as uow:
        mediation_roster.seed_roster(uow.session, clock.now())
        uow.commit()
    number = cases.open_case(ctx, username="mediation.head", pipeline="mediation", unit_code="taian", fields={
        "title": "“泰山”商标许可使用费纠纷", "ip_type": "trademark", "complainant": demo.APPLICANT,
        "respondent": demo.RESPONDENT, "mediation": {"source": "party"}})["number"]
    demo.drive_mediation(ctx, number, {}, until="accept_dispute")

    login("mediator1")
    page.get_by_role("link", name="调解").first.click()
    row = page.locator(f'tr[data-dispute="{number}"]')
    expect(row).to_contain_text("泰山")
    shot("m01_my_disputes")
    row.get_by_role("link", name="调解员接受或拒绝").click()
    _field(page, "decision").locator("select").select_option("accept")
    _field(page, "materials_received_on").locator("input").fill("2026-03-02")
    _submit(page)

    page.goto(f"/tasks/{open_task(ctx, number, 'give_opening_notice')['id']}")
    _field(page, "notice_date").locator("input").fill("2026-03-02")
    _field(page, "method").locator("select").select_option("written")
    _submit(page)

    page.goto(f"/tasks/{open_task(ctx, number, 'schedule_session')['id']}")
    _field(page, "session_at").locator("input").fill("2026-03-04T09:30")
    _field(page, "venue").locator("select").select_option("onsite")
    _field(page, "place").locator("input").fill("泰安市知识产权纠纷调解室")
    _submit(page)
    page.goto("/mediation/")
    expect(page.locator(f'tr[data-dispute="{number}"] .next-session')).to_contain_text("2026-03-04")

    page.goto(f"/tasks/{open_task(ctx, number, 'record_session')['id']}")
    _field(page, "held_at").locator("input").fill("2026-03-04T09:30")
    _field(page, "attendance").locator("textarea").fill("申请人、被申请人均到场")
    _field(page, "minutes").locator("textarea").fill("双方就许可使用费数额达成一致意见。")
    _field(page, "result").locator("select").select_option("concluded")
    shot("m02_session_minutes")
    _submit(page)

    page.goto(f"/tasks/{open_task(ctx, number, 'record_outcome')['id']}")
    _field(page, "result").locator("select").select_option("agreement")
    _field(page, "terms").locator("textarea").fill("被申请人向申请人支付许可使用费。")
    _field(page, "amount").locator("input").fill("80000")
    _field(page, "performance_due").locator("input").fill("2026-04-30")
    _submit(page)

    page.goto(f"/tasks/{open_task(ctx, number, 'sign_agreement')['id']}")
    editor = _field(page, "final_text").locator("textarea")
    expect(editor).to_have_value(re.compile("人民币80,000.00元"))
    editor.fill(editor.input_value() + "\n附：双方确认无其他争议。")
    _field(page, "signed_on").locator("input").fill("2026-03-05")
    shot("m03_agreement_editor")
    _submit(page)

    assert open_task(ctx, number)["step"] == "apply_confirmation"
    page.goto(f"/mediation/disputes/{number}")
    expect(page.locator("#agreement")).to_contain_text("附：双方确认无其他争议。")
