"""督办 pages: dashboard and drill-down with exports, orders and replies, notifications, a case's
clocks (pause, resume, extension), the admin holiday table."""
import io
from datetime import datetime, timezone

import pytest
from openpyxl import load_workbook

from engine.services import cases, clocks, supervision


def at(y, m, d, hour=2):
    return datetime(y, m, d, hour, tzinfo=timezone.utc)


@pytest.fixture
def overdue_case(case_at, clock):
    clock.set(at(2026, 9, 23))
    number = case_at()          # filing clock due 2026-10-21
    clock.set(at(2026, 11, 2))
    return number


@pytest.mark.parametrize("url", ["/supervision/", "/supervision/cases?status=overdue"])
def test_officers_get_no_dashboard(browser, url):
    assert browser("daiyue.officer1").get(url).status_code == 403


def test_the_dashboard_counts_and_drills_down_to_the_case(browser, overdue_case):
    b = browser("city.supervisor")
    page = b.get("/supervision/").get_data(as_text=True)
    assert 'id="total-overdue">1<' in page and "daiyue" in page
    assert "2027" in page  # next year's holidays are not entered yet: said on the dashboard
    listing = b.get("/supervision/cases?status=overdue&unit=daiyue").get_data(as_text=True)
    assert overdue_case in listing
    assert b.get("/supervision/cases?status=overdue&unit=taishan").get_data(as_text=True).count(overdue_case) == 0


def test_exports_are_csv_and_excel(browser, overdue_case):
    b = browser("city.supervisor")
    csv_response = b.get("/supervision/cases?status=overdue&format=csv")
    assert csv_response.mimetype == "text/csv"
    assert overdue_case in csv_response.get_data().decode("utf-8-sig")
    xlsx = b.get("/supervision/cases?status=overdue&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    assert sheet["A1"].value == "案件编号" and sheet["A2"].value == overdue_case


def test_an_order_is_issued_replied_and_listed(browser, overdue_case, ctx):
    sup = browser("city.supervisor")
    response = sup.post("/supervision/orders", {"number": overdue_case, "instruction": "请说明超期原因",
                                                "reply_due": "2026-11-09"})
    assert response.status_code == 302
    head = browser("daiyue.head")
    page = head.get("/supervision/orders").get_data(as_text=True)
    assert "请说明超期原因" in page and "2026-11-09" in page
    [order] = supervision.list_orders(ctx, username="daiyue.head")
    assert head.post(f"/supervision/orders/{order['id']}/reply",
                     {"progress": "已补充核查", "planned_date": "2026-11-10"}).status_code == 302
    assert "已补充核查" in sup.get("/supervision/orders").get_data(as_text=True)
    notes = sup.get("/supervision/notifications").get_data(as_text=True)
    assert "督办回复" in notes
    timeline = [e["action"] for e in cases.show_case(ctx, overdue_case)["timeline"]]
    assert timeline[-2:] == ["supervision.order_issued", "supervision.order_replied"]
    assert sup.post("/supervision/orders", {"number": overdue_case, "instruction": ""}).status_code == 302
    assert "请填写督办意见" in sup.get("/supervision/orders").get_data(as_text=True)  # the engine's message, in zh
    assert len(supervision.list_orders(ctx, username="city.supervisor")) == 1


def test_pause_resume_and_extension_on_the_case_clocks_page(browser, case_at, clock, ctx):
    clock.set(at(2026, 9, 23))
    number = case_at()
    officer = browser("daiyue.officer1")
    page = officer.get(f"/supervision/clocks/{number}").get_data(as_text=True)
    assert "2026-10-21" in page and "鉴定" in page
    clock.set(at(2026, 9, 28))
    assert officer.post(f"/supervision/clocks/{number}/filing_decision/pause",
                        {"reason": "appraisal", "evidence": "委托书3号"}).status_code == 302
    assert "已暂停" in officer.get(f"/supervision/clocks/{number}").get_data(as_text=True)
    clock.set(at(2026, 10, 12))
    officer.post(f"/supervision/clocks/{number}/filing_decision/resume", {"evidence": "报告已收到"})
    assert clocks.show(ctx, number)[0]["due_date"] == "2026-10-29"
    officer.post(f"/supervision/clocks/{number}/filing_decision/extend", {"days": "3", "reason": "补充核查"})
    head = browser("daiyue.head")
    page = head.get(f"/supervision/clocks/{number}").get_data(as_text=True)
    assert "批准" in page
    ext_id = clocks.show(ctx, number)[0]["extensions"][0]["id"]
    head.post(f"/supervision/extensions/{ext_id}", {"decision": "approve", "note": "同意",
                                                    "next": f"/supervision/clocks/{number}"})
    assert clocks.show(ctx, number)[0]["due_date"] == "2026-11-03"
    refused = officer.post(f"/supervision/clocks/{number}/filing_decision/pause", {"reason": "hearing"},
                           follow_redirects=True)
    assert "hearing" in refused.get_data(as_text=True)  # not a reason this limit allows: said, nothing saved
    case_page = head.get(f"/cases/{number}").get_data(as_text=True)
    clocks_section = case_page[case_page.index('id="clocks"'):]
    assert "2026-11-03" in clocks_section[:clocks_section.index("</section>")]


def test_only_admins_edit_the_holiday_table_and_edits_recompute(browser, case_at, clock, ctx):
    clock.set(at(2026, 12, 21))
    number = case_at()
    assert browser("city.supervisor").get("/supervision/holidays").status_code == 403
    admin = browser("admin")
    page = admin.get("/supervision/holidays").get_data(as_text=True)
    assert "2027" in page
    response = admin.post("/supervision/holidays", {"day": "2027-01-01", "kind": "holiday", "name": "元旦"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and f"{number} filing_decision: 2027-01-11 → 2027-01-12" in text
    assert clocks.show(ctx, number)[0]["due_date"] == "2027-01-12"
    admin.post("/supervision/holidays", {"day": "2027-01-01", "action": "remove"})
    assert clocks.show(ctx, number)[0]["due_date"] == "2027-01-11"
