"""Statutory clocks on enforcement cases: working days across National Day, pauses,
extensions, holiday-table edits, explanations on the case page."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, insert, select

from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine.models import AuditEvent, Case, CaseClock, ClockEvent, Holiday, HumanTask
from engine.services import cases, clocks, holidays
from engine.services.demo import drive
from tests.engine.services.helpers import complete_task, open_case, open_task
from tests.statements import sql_sent, statements

SEP_23 = datetime(2026, 9, 23, 1, 30, tzinfo=timezone.utc)  # Wednesday 09:30 in Tai'an


def end_of(day: date) -> str:
    """A limit ends with its last day in Tai'an (UTC+8): 16:00 UTC."""
    return datetime(day.year, day.month, day.day, 16, tzinfo=timezone.utc).isoformat()


def clock_of(ctx, number, rule):
    [found] = [c for c in cases.show_case(ctx, number)["clocks"] if c["rule"] == rule]
    return found


@pytest.fixture
def opened(ctx, clock):
    clock.set(SEP_23)
    return open_case(ctx)["number"]


def test_fifteen_working_days_skip_mid_autumn_and_national_day_and_count_the_makeup_saturday(ctx, opened):
    filing = clock_of(ctx, opened, "filing_decision")
    # Sep 24 · (25–27 Mid-autumn) · 28, 29, 30 · (Oct 1–7) · 8, 9, Sat 10 (调休上班), 12–16, 19, 20, 21
    assert filing["due_date"] == "2026-10-21"
    assert filing["state"] == "running" and filing["start_date"] == "2026-09-23"
    assert filing["due_at"] == end_of(date(2026, 10, 21))
    assert filing["explanation"]["zh"] and filing["explanation"]["en"]
    assert filing["warnings"] == []
    view = cases.show_case(ctx, opened)
    [task] = view["open_tasks"]
    assert task["due_at"] == filing["due_at"]  # the inbox sorts by it


def test_the_filing_clock_is_met_at_the_filing_decision_and_the_case_clock_starts(ctx, opened, clock):
    clock.advance(timedelta(days=2))
    drive(ctx, opened, {}, until="investigate")
    view = cases.show_case(ctx, opened)
    states = {c["rule"]: c["state"] for c in view["clocks"]}
    assert states == {"filing_decision": "met", "decide_case": "running"}
    decide = clock_of(ctx, opened, "decide_case")
    # 90 calendar days from 2026-09-25: 2026-12-24 (a Thursday, a working day)
    assert decide["start_date"] == "2026-09-25" and decide["due_date"] == "2026-12-24"
    assert view["open_tasks"][0]["due_at"] == decide["due_at"]


def test_pause_for_appraisal_and_resume(ctx, opened, clock):
    clock.set(datetime(2026, 9, 28, 2, tzinfo=timezone.utc))
    paused = clocks.pause(ctx, username="daiyue.officer1", number=opened, rule="filing_decision",
                          reason="appraisal", evidence="鉴定委托书 岱市监鉴〔2026〕3号")
    assert paused["state"] == "paused" and paused["paused_since"] == "2026-09-28"
    with pytest.raises(Conflict):
        clocks.pause(ctx, username="daiyue.officer1", number=opened, rule="filing_decision", reason="testing")
    clock.set(datetime(2026, 10, 12, 2, tzinfo=timezone.utc))
    resumed = clocks.resume(ctx, username="daiyue.officer1", number=opened, rule="filing_decision",
                            evidence="鉴定报告已收到")
    # counted: Sep 24; not counted: Sep 28 – Oct 11; then Oct 12 … Oct 29 (14 more working days)
    assert resumed["state"] == "running" and resumed["due_date"] == "2026-10-29"
    assert resumed["pauses"] == [{"reason": "appraisal", "label": "鉴定",
                                  "evidence": "鉴定委托书 岱市监鉴〔2026〕3号\n鉴定报告已收到",
                                  "from": "2026-09-28", "to": "2026-10-11"}]
    actions = [e["action"] for e in cases.show_case(ctx, opened)["timeline"]]
    assert actions[-2:] == ["clock.paused", "clock.resumed"]
    with ctx.uow() as uow:
        kinds = uow.session.scalars(select(ClockEvent.kind).order_by(ClockEvent.id)).all()
    assert kinds == ["paused", "resumed"]  # the start is the clock row's started_at


def test_only_the_rules_pause_reasons_and_handlers_may_pause(ctx, opened):
    with pytest.raises(Invalid, match="cannot be paused for hearing"):
        clocks.pause(ctx, username="daiyue.officer1", number=opened, rule="filing_decision", reason="hearing")
    with pytest.raises(NotFound):  # another county's case does not exist for them
        clocks.pause(ctx, username="taishan.officer1", number=opened, rule="filing_decision", reason="appraisal")
    with pytest.raises(Invalid, match="between the clock's start and today"):
        clocks.pause(ctx, username="daiyue.officer1", number=opened, rule="filing_decision", reason="appraisal",
                     first_day=date(2026, 9, 1))


def test_extension_approved_then_refused(ctx, opened):
    asked = clocks.request_extension(ctx, username="daiyue.officer1", number=opened, rule="filing_decision",
                                     length=5, reason="涉案商品数量大，需补充核查")
    ext_id = asked["extension"]["id"]
    with pytest.raises(Conflict, match="already waiting"):
        clocks.request_extension(ctx, username="daiyue.officer1", number=opened, rule="filing_decision",
                                 length=2, reason="again")
    with pytest.raises(Forbidden):
        clocks.decide_extension(ctx, username="daiyue.officer2", extension_id=ext_id, approve=True)
    with pytest.raises(Forbidden):
        clocks.decide_extension(ctx, username="taishan.head", extension_id=ext_id, approve=True)
    decided = clocks.decide_extension(ctx, username="daiyue.head", extension_id=ext_id, approve=True, note="同意")
    # five more working days after 2026-10-21
    assert decided["clock"]["state"] == "extended" and decided["clock"]["due_date"] == "2026-10-28"
    assert decided["clock"]["extension"] == 5
    with pytest.raises(Conflict, match="already approved"):
        clocks.decide_extension(ctx, username="daiyue.head", extension_id=ext_id, approve=False, note="x")
    with pytest.raises(Invalid, match="at most 15"):
        clocks.request_extension(ctx, username="daiyue.officer1", number=opened, rule="filing_decision",
                                 length=11, reason="more")
    second = clocks.request_extension(ctx, username="daiyue.officer1", number=opened, rule="filing_decision",
                                      length=10, reason="more")["extension"]["id"]
    with pytest.raises(Invalid, match="refusal needs a reason"):
        clocks.decide_extension(ctx, username="daiyue.head", extension_id=second, approve=False)
    refused = clocks.decide_extension(ctx, username="daiyue.head", extension_id=second, approve=False,
                                      note="理由不充分")
    assert refused["extension"]["status"] == "refused" and refused["clock"]["due_date"] == "2026-10-28"
    actions = [e["action"] for e in cases.show_case(ctx, opened)["timeline"]]
    assert actions.count("clock.extension_requested") == 2
    assert "clock.extension_approved" in actions and "clock.extension_refused" in actions
    assert [n["kind"] for n in _notes(ctx, "daiyue.head")] == ["extension", "extension"]


def test_a_rule_without_extension_refuses_requests(ctx, opened, clock):
    drive(ctx, opened, {}, until="record_defence")
    with pytest.raises(Invalid, match="cannot be extended"):
        clocks.request_extension(ctx, username="daiyue.officer1", number=opened, rule="defence_request",
                                 length=2, reason="x")


def _notes(ctx, username):
    from engine.services import notifications
    return notifications.list_for(ctx, username=username)


def test_a_year_without_holiday_data_warns_and_the_holiday_table_recomputes_open_clocks(ctx, clock):
    clock.set(datetime(2026, 12, 21, 1, 30, tzinfo=timezone.utc))  # Monday
    number = open_case(ctx)["number"]
    other = open_case(ctx, unit="taishan")["number"]
    clock.set(datetime(2026, 12, 22, 1, 30, tzinfo=timezone.utc))
    drive(ctx, other, {}, until="investigate")  # its filing clock is met: never recomputed
    filing = clock_of(ctx, number, "filing_decision")
    # 2027 is not in chinese_calendar: weekends only, and it says so
    assert [w["year"] for w in filing["warnings"]] == [2027]
    assert filing["due_date"] == "2027-01-11"
    assert holidays.coverage(ctx)["missing_years"] == [2027]
    with pytest.raises(Forbidden):
        holidays.set_day(ctx, username="daiyue.head", day=date(2027, 1, 1), kind="holiday", name="元旦")
    result = holidays.set_day(ctx, username="admin", day=date(2027, 1, 1), kind="holiday", name="元旦")
    assert result["recomputed"] == [{"case": number, "clock": filing["id"], "rule": "filing_decision",
                                     "due_before": "2027-01-11", "due_after": "2027-01-12"}]
    assert clock_of(ctx, number, "filing_decision")["due_date"] == "2027-01-12"
    [task] = cases.show_case(ctx, number)["open_tasks"]
    assert task["due_at"] == end_of(date(2027, 1, 12))
    # a make-up working day pulls it back
    back = holidays.set_day(ctx, username="admin", day=date(2027, 1, 9), kind="workday", name="元旦调休")
    assert [(c["due_before"], c["due_after"]) for c in back["recomputed"]] == [("2027-01-12", "2027-01-11")]
    with ctx.uow() as uow:
        s = uow.session
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "holiday.set")) == 2
        assert s.scalar(select(func.count()).select_from(AuditEvent)
                        .where(AuditEvent.action == "clock.recomputed")) == 2
    assert [d["day"] for d in holidays.list_days(ctx, 2027)] == ["2027-01-01", "2027-01-09"]
    removed = holidays.remove_day(ctx, username="admin", day=date(2027, 1, 9))
    assert [c["due_after"] for c in removed["recomputed"]] == ["2027-01-12"]


def test_a_clock_a_step_starts_counts_a_holiday_entered_since_the_process_last_read_the_table(ctx, clock):
    clock.set(datetime(2026, 12, 28, 1, 30, tzinfo=timezone.utc))  # Monday; 2027 has no package data
    before, after = open_case(ctx)["number"], open_case(ctx)["number"]
    for number in (before, after):  # starting the case clocks on the way read the holiday table
        drive(ctx, number, {}, until="write_report")
    reports = {number: open_task(ctx, number, "write_report") for number in (before, after)}
    with statements(ctx) as sent:  # the report opens the legal review and starts its clock
        complete_task(ctx, reports[before], "daiyue.officer1")
    assert sent.count("SELECT") == 1, sent  # on the calendar this process built before
    # Dec 29, 30, 31, Jan 1 (2027: weekends only), Jan 4, 5, 6, 7, 8, 11
    assert clock_of(ctx, before, "legal_review")["due_date"] == "2027-01-11"
    with ctx.uow() as uow:  # as another process's admin would (holidays.set_day), unknown to this one
        uow.session.add(Holiday(day=date(2027, 1, 4), kind="holiday", name="调休", created_at=ctx.clock.now()))
        uow.commit()
    with statements(ctx) as sent:
        complete_task(ctx, reports[after], "daiyue.officer1")
    assert sent.count("SELECT") == 2, sent  # the locking read saw a table this process had not read
    assert clock_of(ctx, after, "legal_review")["due_date"] == "2027-01-12"


def test_holiday_tables_whose_rows_read_alike_joined_up_have_different_calendar_keys(ctx, clock):
    def content(rows):
        with ctx.uow() as uow:
            uow.session.execute(delete(Holiday))
            uow.session.add_all([Holiday(day=d, kind="holiday", name=n, created_at=clock.now()) for d, n in rows])
            uow.session.flush()
            return uow.session.scalar(select(holidays.table_content()))
    one = content([(date(2027, 1, 1), "元旦\n2027-01-02 holiday 补")])
    two = content([(date(2027, 1, 1), "元旦"), (date(2027, 1, 2), "补")])
    assert one and two and one != two


def test_ending_the_case_cancels_its_running_clocks(ctx, opened):
    drive(ctx, opened, {"verify_lead": {"proposal": "not_file"}, "decide_filing": {"decision": "not_file"}})
    view = cases.show_case(ctx, opened)
    assert view["status"] == "not_filed"
    assert {c["rule"]: c["state"] for c in view["clocks"]} == {"filing_decision": "met"}
    with ctx.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(CaseClock)
                                  .where(CaseClock.stopped_at.is_(None))) == 0


def test_a_late_step_stops_its_clock_as_breached(ctx, opened, clock):
    clock.set(datetime(2026, 10, 22, 2, tzinfo=timezone.utc))  # the day after the 15th working day
    drive(ctx, opened, {}, until="investigate")
    filing = clock_of(ctx, opened, "filing_decision")
    assert filing["state"] == "breached" and filing["stopped_at"]
    with ctx.uow() as uow:
        due = uow.session.scalar(select(HumanTask.due_at).where(HumanTask.bpmn_id == "investigate"))
    assert due is not None


def test_an_extension_approved_after_the_breach_puts_the_clock_back_in_time(ctx, opened, clock):
    from engine.services import sweeps
    clock.set(datetime(2026, 10, 23, 2, tzinfo=timezone.utc))
    assert sweeps.sweep_clocks(ctx) == {"warned": 0, "breached": 1, "escalated": 1}
    ext = clocks.request_extension(ctx, username="daiyue.officer1", number=opened, rule="filing_decision",
                                   length=5, reason="补充核查")["extension"]["id"]
    view = clocks.decide_extension(ctx, username="daiyue.head", extension_id=ext, approve=True, note="同意")["clock"]
    assert view["state"] == "extended" and view["due_date"] == "2026-10-28" and view["breached_at"] is None
    clock.set(datetime(2026, 10, 28, 16, tzinfo=timezone.utc))
    assert sweeps.sweep_clocks(ctx)["breached"] == 1  # late again: a new breach, recorded once
    clock.set(datetime(2026, 10, 29, 16, tzinfo=timezone.utc))
    assert sweeps.sweep_clocks(ctx)["escalated"] == 1


def test_a_case_run_to_its_end_in_time_keeps_its_clocks_start_and_stop_on_their_rows_only(ctx, opened):
    view = drive(ctx, opened, {})
    assert view["status"] != "open"
    shown = view["clocks"]
    assert len(shown) >= 3 and all(c["started_at"] and c["stopped_at"] for c in shown)
    assert {c["state"] for c in shown} <= {"met", "cancelled"}
    with ctx.uow() as uow:  # one row written per start and per stop, no event row beside it
        assert uow.session.scalar(select(func.count()).select_from(ClockEvent)) == 0


def _clock_reads(ctx, run) -> list[tuple[str, object]]:
    """The SELECTs touching the clocks table that `run()` sends, with their parameters."""
    with sql_sent(ctx) as sent:
        run()
    return [(stmt, params) for stmt, params in sent if stmt.lstrip().upper().startswith("SELECT") and "clocks" in stmt]


def _scans_clocks(ctx, stmt: str, params) -> bool:
    """Whether the database plans to read the whole clocks table for the statement."""
    with ctx.db.connect() as conn:
        if ctx.db.dialect.name == "postgresql":
            plan = [row[0] for row in conn.exec_driver_sql(f"EXPLAIN {stmt}", params)]
            return any("Seq Scan on clocks" in line for line in plan)
        plan = [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {stmt}", params)]
        return any(line.startswith("SCAN") and "clocks" in line for line in plan)


def test_a_step_finds_its_case_clocks_by_index_while_another_case_holds_most_clocks(ctx):
    """Skewed clocks once made a step's planner read the whole table for every step (25 steps/s
    with 300,000 clocks on one case; bench/README.md, section 5)."""
    crowded, number = open_case(ctx)["number"], open_case(ctx)["number"]
    drive(ctx, number, {}, until="issue_notice")  # its completion may start a once-only clock
    now = ctx.clock.now()
    with ctx.uow() as uow:
        case = uow.session.scalar(select(Case).where(Case.number == crowded))
        uow.session.execute(insert(CaseClock), [
            {"case_id": case.id, "unit_id": case.unit_id, "rule": "filing_decision", "pipeline": "enforcement",
             "state": "running", "length": 15, "unit": "working_days", "start_date": now.date(), "started_at": now,
             "due_date": now.date(), "due_at": now, "updated_at": now} for _ in range(20_000)])
        uow.commit()
    postgres = ctx.db.dialect.name == "postgresql"
    try:
        with ctx.db.begin() as conn:
            if postgres:  # as ANALYZE concludes when its sample of a big table meets only the crowded case
                conn.exec_driver_sql("ALTER TABLE clocks ALTER COLUMN case_id SET (n_distinct = 1)")
            conn.exec_driver_sql("ANALYZE clocks" if postgres else "ANALYZE")
        task = open_task(ctx, number, "issue_notice")
        reads = _clock_reads(ctx, lambda: complete_task(ctx, task, "daiyue.officer1"))
        assert reads  # the running clocks, and whether the once-only rule ran before
        assert [stmt for stmt, params in reads if _scans_clocks(ctx, stmt, params)] == []
    finally:
        if postgres:
            with ctx.db.begin() as conn:
                conn.exec_driver_sql("ALTER TABLE clocks ALTER COLUMN case_id RESET (n_distinct)")
