"""Opening a case from the web: the form, the case it starts, errors beside the fields, who may."""
from urllib.parse import unquote

from sqlalchemy import func, select

from engine.models import Case
from engine.services import cases, mediation_roster

CASE = {"pipeline": "enforcement", "unit": "daiyue", "title": "涉嫌销售假冒“泰山”牌白酒", "ip_type": "trademark",
        "right_number": "第1234567号", "right_holder": "泰山酒业集团", "respondent.name": "泰安市某某商贸有限公司",
        "respondent.kind": "enterprise", "respondent.uscc": "91370900MA3C0000XH", "priority": "2"}


def _number(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:600]
    return unquote(response.headers["Location"].rsplit("/cases/", 1)[1])


def _case_count(ctx) -> int:
    with ctx.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(Case))


def test_an_officer_opens_a_case_and_lands_on_it_with_its_first_task(browser, ctx):
    b = browser("daiyue.officer1")
    assert 'href="/cases/new"' in b.get("/inbox").get_data(as_text=True)  # linked from the navigation
    form = b.get("/cases/new")
    assert form.status_code == 200 and 'name="title"' in form.get_data(as_text=True)
    response = b.post("/cases/new", CASE)
    number = _number(response)
    shown = b.get(response.headers["Location"]).get_data(as_text=True)
    assert "涉嫌销售假冒“泰山”牌白酒" in shown and f"案件 {number} 已登记" in shown
    view = cases.show_case(ctx, number)
    assert (view["unit"], view["pipeline"], view["is_major"]) == ("daiyue", "enforcement", False)
    assert [t["step"] for t in view["open_tasks"]] == ["register_lead"]
    assert view["rights"] == [{"ip_type": "trademark", "number": "第1234567号", "holder": "泰山酒业集团", "title": None}]
    assert view["parties"] == [{"role": "respondent", "kind": "enterprise", "name": "泰安市某某商贸有限公司",
                                "uscc": "91370900MA3C0000XH"}]


def test_mistakes_come_back_beside_the_fields_with_everything_typed_kept(browser, ctx):
    b = browser("daiyue.officer1")
    response = b.post("/cases/new", {**CASE, "title": "", "respondent.uscc": "123", "priority": "12"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert page.count('class="field-error"') == 3  # title, the respondent's credit code, priority
    assert 'value="泰安市某某商贸有限公司"' in page and 'value="第1234567号"' in page  # nothing typed is lost
    assert _case_count(ctx) == 0


def test_only_units_in_scope_and_pipelines_of_ones_roles_are_offered(browser, ctx):
    choices = cases.open_choices(ctx, username="daiyue.officer1")
    assert choices["pipelines"] == ["enforcement", "mediation"]  # mediation: to refer a case's civil part
    assert [u["code"] for u in choices["units"]] == ["daiyue"]
    b = browser("daiyue.officer1")
    response = b.post("/cases/new", {**CASE, "unit": "taishan"})  # another county's bureau
    assert response.status_code == 403 and 'value="泰安市某某商贸有限公司"' in response.get_data(as_text=True)
    assert _case_count(ctx) == 0
    legal = browser("daiyue.legal")
    assert 'href="/cases/new"' not in legal.get("/inbox").get_data(as_text=True)
    refused = legal.get("/cases/new")
    assert refused.status_code == 403 and "没有可以登记案件的角色" in refused.get_data(as_text=True)


def test_an_officer_referring_to_mediation_without_the_enforcement_case_is_told_why_in_chinese(browser, ctx):
    b = browser("daiyue.officer1")
    response = b.post("/cases/new", {**CASE, "pipeline": "mediation", "mediation.source": "party"})
    page = response.get_data(as_text=True)
    assert response.status_code == 403 and "执法人员只能将本单位的执法案件转调解" in page
    assert 'value="泰安市某某商贸有限公司"' in page and _case_count(ctx) == 0


def test_the_mediation_centre_opens_a_dispute(browser, ctx, clock):
    with ctx.uow() as uow:
        mediation_roster.seed_roster(uow.session, clock.now())
        uow.commit()
    b = browser("mediation.head")
    page = b.get("/cases/new").get_data(as_text=True)
    assert 'value="mediation"' in page and 'name="mediation.source"' in page
    number = _number(b.post("/cases/new", {
        "pipeline": "mediation", "unit": "taian", "title": "注册商标许可使用费纠纷", "ip_type": "trademark",
        "complainant.name": "泰山酒业集团", "complainant.kind": "enterprise",
        "respondent.name": "泰安市某某商贸有限公司", "respondent.kind": "enterprise",
        "mediation.source": "party", "mediation.dispute": "许可使用费支付争议"}))
    assert cases.show_case(ctx, number)["pipeline"] == "mediation"
