"""Supervision (督办): dashboard counts and drill-down, exports, orders and replies, overdue orders."""
import csv
import io
from datetime import date, datetime, timezone

import pytest
from openpyxl import load_workbook

from engine.errors import Forbidden, Invalid
from engine.services import cases, notifications, supervision, sweeps
from tests.engine.services.helpers import open_case


def at(y, m, d, hour=2):
    return datetime(y, m, d, hour, tzinfo=timezone.utc)


@pytest.fixture
def portfolio(ctx, clock):
    """daiyue: one case overdue since 2026-10-21, one at risk; taishan: one comfortably in time."""
    clock.set(at(2026, 9, 23))
    overdue = open_case(ctx)["number"]                      # filing due 2026-10-21
    clock.set(at(2026, 10, 14))
    at_risk = open_case(ctx)["number"]                      # due 2026-11-04, warned from 2026-10-30
    clock.set(at(2026, 10, 20))
    in_time = open_case(ctx, unit="taishan")["number"]      # due 2026-11-10
    clock.set(at(2026, 11, 2))
    return {"overdue": overdue, "at_risk": at_risk, "in_time": in_time}


def test_dashboard_counts_by_unit_pipeline_step_and_age(ctx, portfolio):
    board = supervision.dashboard(ctx, username="city.supervisor")
    assert board["totals"]["overdue"] == 1 and board["totals"]["at_risk"] == 1
    assert [(r["unit"], r["overdue"], r["at_risk"]) for r in board["by_unit"]] == [("daiyue", 1, 1)]
    assert board["by_pipeline"] == [{"pipeline": "enforcement", "overdue": 1, "at_risk": 1}]
    assert board["by_step"] == [{"step": "register_lead", "overdue": 1, "at_risk": 1}]
    assert [r["rule"] for r in board["by_rule"]] == ["filing_decision"]
    assert {b["bucket"]: b["overdue"] for b in board["by_age"]} == {"1-3": 0, "4-7": 0, "8-30": 1, ">30": 0}
    assert [w["year"] for w in board["calendar_warnings"]] == [2027]
    # a county supervisor sees their county only; officers see no dashboard
    assert supervision.dashboard(ctx, username="taishan.supervisor")["totals"]["overdue"] == 0
    assert supervision.dashboard(ctx, username="daiyue.head")["totals"]["at_risk"] == 1
    with pytest.raises(Forbidden):
        supervision.dashboard(ctx, username="daiyue.officer1")


def test_drill_down_and_exports(ctx, portfolio):
    rows = supervision.drill_down(ctx, username="city.supervisor", status="overdue")
    assert [(r["case"], r["days_overdue"], r["rule"]) for r in rows] == [(portfolio["overdue"], 12, "filing_decision")]
    assert supervision.drill_down(ctx, username="city.supervisor", status="overdue", bucket="1-3") == []
    risky = supervision.drill_down(ctx, username="city.supervisor", status="at_risk", unit="daiyue")
    assert [(r["case"], r["days_left"]) for r in risky] == [(portfolio["at_risk"], 2)]
    with pytest.raises(Invalid):
        supervision.drill_down(ctx, username="city.supervisor", status="late")
    text = supervision.export_csv(rows).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][0] == "案件编号" and table[1][0] == portfolio["overdue"] and len(table) == 2
    sheet = load_workbook(io.BytesIO(supervision.export_xlsx(rows))).active
    assert [c.value for c in sheet[2]][:1] == [portfolio["overdue"]] and sheet.max_row == 2


def test_an_order_is_replied_to_and_both_are_on_the_case_timeline(ctx, portfolio, clock):
    number = portfolio["overdue"]
    with pytest.raises(Forbidden):
        supervision.issue_order(ctx, username="daiyue.head", number=number, instruction="x")
    order = supervision.issue_order(ctx, username="city.supervisor", number=number,
                                    instruction="请于期限内作出立案决定并报告", reply_due=date(2026, 11, 5))
    assert order["status"] == "open" and order["reply_due"] == "2026-11-05"
    assert [n["kind"] for n in notifications.list_for(ctx, username="daiyue.head")] == ["order"]
    with pytest.raises(Forbidden):
        supervision.reply_order(ctx, username="taishan.head", order_id=order["id"], progress="x")
    replied = supervision.reply_order(ctx, username="daiyue.head", order_id=order["id"],
                                      progress="已完成核查，拟于11月6日作出决定", planned_date=date(2026, 11, 6))
    assert replied["status"] == "replied" and replied["replies"][0]["planned_date"] == "2026-11-06"
    assert [n["kind"] for n in notifications.list_for(ctx, username="city.supervisor")] == ["reply"]
    view = cases.show_case(ctx, number)
    assert [e["action"] for e in view["timeline"]][-2:] == ["supervision.order_issued", "supervision.order_replied"]
    assert [o["id"] for o in view["supervision_orders"]] == [order["id"]]
    clock.set(at(2026, 11, 6))
    assert sweeps.sweep_orders(ctx) == 0  # replied in time: nothing to chase
    closed = supervision.close_order(ctx, username="city.supervisor", order_id=order["id"], note="已整改")
    assert closed["status"] == "closed"


def test_an_unanswered_order_escalates_once(ctx, portfolio, clock):
    order = supervision.issue_order(ctx, username="city.supervisor", number=portfolio["at_risk"],
                                    instruction="说明延误原因")
    assert order["reply_due"] == "2026-11-16"  # default: 10 working days
    clock.set(at(2026, 11, 16, 15))            # 23:00 on the last day
    assert sweeps.sweep_orders(ctx) == 0
    clock.set(at(2026, 11, 16, 16))
    assert sweeps.sweep_orders(ctx) == 1
    assert sweeps.sweep_orders(ctx) == 0
    assert "order_overdue" in [n["kind"] for n in notifications.list_for(ctx, username="daiyue.supervisor")]
    board = supervision.dashboard(ctx, username="city.supervisor")
    assert board["totals"]["orders_overdue"] == 1 and board["totals"]["orders"] == {"open": 1}
    [listed] = supervision.list_orders(ctx, username="city.supervisor", status="open")
    assert listed["overdue"] is True
    assert "supervision.order_overdue" in [e["action"] for e in cases.show_case(ctx, portfolio["at_risk"])["timeline"]]


def test_notifications_can_be_read(ctx, portfolio):
    supervision.issue_order(ctx, username="city.supervisor", number=portfolio["overdue"], instruction="报告进展")
    assert notifications.unread_count(ctx, username="daiyue.head") == 1
    assert notifications.mark_read(ctx, username="daiyue.head") == 1
    assert notifications.list_for(ctx, username="daiyue.head", unread_only=True) == []
