"""`ipcase calendar due` and the clock, holiday, supervision and scheduler commands."""
import json
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from tests.engine.services.helpers import open_case
from web.cli import cli


@pytest.fixture
def ipcase(ctx):
    runner = CliRunner()
    env = {"DATABASE_URL": ctx.settings.database_url, "IPCASE_DB_SCHEMA": ctx.settings.database_schema or ""}

    def run(*args, ok=True):
        result = runner.invoke(cli, list(args), env=env, catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result
    return run


def test_calendar_due_across_national_day(ipcase):
    out = json.loads(ipcase("calendar", "due", "--start", "2026-09-23", "--length", "15", "--unit", "working-days",
                            "--json").stdout)
    assert out["due"] == "2026-10-21" and out["days_counted"] == 15
    assert "2026-10-10" in out["makeup_workdays"]
    assert any("2026-10-21" in line for line in out["explanation"])
    text = ipcase("calendar", "due", "--start", "2026-09-23", "--length", "15", "--unit", "working-days").stdout
    assert text.splitlines()[0] == "2026-10-21"


def test_calendar_due_with_pause_extension_and_calendar_days(ipcase):
    paused = json.loads(ipcase("calendar", "due", "--start", "2026-09-23", "--length", "15", "--unit",
                               "working-days", "--pause", "2026-09-28:2026-10-11", "--json").stdout)
    assert paused["due"] == "2026-10-29"  # the same as the clock paused for appraisal
    extended = json.loads(ipcase("calendar", "due", "--start", "2026-09-23", "--length", "15", "--unit",
                                 "working-days", "--extend", "5", "--json").stdout)
    assert extended["due"] == "2026-10-28"
    # 15 calendar days from 2026-09-16 end on 2026-10-01, National Day: moved to 2026-10-08
    cd = json.loads(ipcase("calendar", "due", "--start", "2026-09-16", "--length", "15", "--unit", "calendar-days",
                           "--json").stdout)
    assert cd["due"] == "2026-10-08" and cd["rolled_from"] == "2026-10-01"


def test_calendar_due_warns_about_a_year_without_data(ipcase):
    result = ipcase("calendar", "due", "--start", "2026-12-21", "--length", "15", "--unit", "working-days")
    assert result.stdout.splitlines()[0] == "2027-01-11"
    assert "2027" in result.stderr
    strict = ipcase("calendar", "due", "--start", "2026-12-21", "--length", "15", "--unit", "working-days",
                    "--strict", ok=False)
    assert strict.exit_code == 1


@pytest.mark.parametrize("args, reason", [
    (("--start", "2026-13-01", "--length", "5", "--unit", "working-days"), "start must be a date"),
    (("--start", "2026-10-01", "--length", "five", "--unit", "working-days"), "length must be a whole number"),
    (("--start", "2026-10-01", "--length", "0", "--unit", "working-days"), "length must be at least 1"),
    (("--start", "2026-10-01", "--length", "5", "--unit", "weeks"), "--unit must be one of"),
    (("--start", "2026-10-01", "--length", "5", "--unit", "months", "--pause", "2026-10-05"), "FROM:TO"),
    (("--start", "2026-10-01", "--length", "5", "--unit", "months", "--pause", "2026-10-05:2026-10-01"),
     "ends before it starts"),
    (("--start", "2026-10-01", "--length", "5", "--unit", "months", "--extend", "-1"), "extend must be at least 0"),
])
def test_calendar_due_bad_input_is_one_line(ipcase, args, reason):
    result = ipcase("calendar", "due", *args, ok=False)
    assert result.exit_code == 1
    assert reason in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_clock_and_holiday_commands(ctx, clock, ipcase):
    clock.set(datetime(2026, 12, 21, 1, 30, tzinfo=timezone.utc))
    number = open_case(ctx)["number"]
    shown = json.loads(ipcase("clock", "show", number, "--json").stdout)
    assert [(c["rule"], c["due_date"]) for c in shown] == [("filing_decision", "2027-01-11")]
    out = ipcase("holiday", "add", "2027-01-01", "--name", "元旦", "--user", "admin").stdout
    assert f"{number} filing_decision: 2027-01-11 -> 2027-01-12" in out
    assert json.loads(ipcase("holiday", "list", "--year", "2027", "--json").stdout)[0]["name"] == "元旦"
    denied = ipcase("holiday", "add", "2027-01-02", "--name", "x", "--user", "daiyue.head", ok=False)
    assert denied.exit_code == 1 and "administrator" in denied.stderr
    ipcase("clock", "extend", number, "--rule", "filing_decision", "--days", "3", "--reason", "补充核查",
           "--user", "daiyue.officer1")
    out = ipcase("clock", "decide", "1", "--approve", "--user", "daiyue.head").stdout
    assert "approved; due 2027-01-15" in out
    bad = ipcase("clock", "pause", number, "--rule", "filing_decision", "--reason", "lunch", "--user",
                 "daiyue.officer1", ok=False)
    assert bad.exit_code == 1 and "cannot be paused for lunch" in bad.stderr


def test_supervision_and_scheduler_commands(ctx, clock, ipcase, tmp_path):
    clock.set(datetime(2026, 9, 23, 1, 30, tzinfo=timezone.utc))
    number = open_case(ctx)["number"]
    # the commands run on the real clock (2026-11 or later): the 2026-10-21 limit has passed
    report = json.loads(ipcase("scheduler", "run", "--once").stdout)
    assert report["leader"] is True and report["catch_up"]["clock_sweep"]["breached"] == 1
    board = json.loads(ipcase("supervision", "dashboard", "--user", "city.supervisor", "--json").stdout)
    assert board["totals"]["overdue"] == 1
    target = tmp_path / "overdue.xlsx"
    assert "1 row(s)" in ipcase("supervision", "list", "--user", "city.supervisor", "--export", str(target)).stdout
    assert target.stat().st_size > 0
    ipcase("supervision", "order", number, "--user", "city.supervisor", "--instruction", "尽快立案")
    [order] = json.loads(ipcase("supervision", "orders", "--user", "daiyue.head", "--json").stdout)
    assert order["instruction"] == "尽快立案" and order["status"] == "open"
    ipcase("supervision", "reply", str(order["id"]), "--user", "daiyue.head", "--progress", "已立案")
    assert "replied" in ipcase("supervision", "orders", "--user", "city.supervisor").stdout
    kinds = [n["kind"] for n in json.loads(ipcase("notifications", "--user", "daiyue.head", "--json").stdout)]
    assert "order" in kinds and "breach" in kinds
    status = json.loads(ipcase("scheduler", "status").stdout)
    assert status["lease"] is None and "clock_sweep" in status["jobs"]
