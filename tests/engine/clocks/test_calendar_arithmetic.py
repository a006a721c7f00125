"""Deadlines a clerk would check by hand, on chinese_calendar's real 2026 arrangement.

2026 (State Council): 中秋节 09-25..09-27, 国庆节 10-01..10-07 with make-up Sundays/Saturdays
09-20 and 10-10; 春节 02-15..02-23 with make-up Saturdays 02-14 and 02-28; 端午节 06-19..06-21;
清明节 04-04..04-06; 劳动节 05-01..05-05.
"""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from engine.clocks.calendar import (
    CalendarError, CalendarGapError, DayOverride, HolidayCalendar, add_months, compute_due, package_years,
    parse_pause,
)

D = date
CAL = HolidayCalendar()
GAP_YEAR = max(package_years()) + 1  # the first year chinese_calendar does not know


def days(first: date, last: date) -> list[date]:
    return [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]


# --- the 2026 data the examples rely on ----------------------------------------------------------

def test_2026_national_day_data_as_published():
    assert [d for d in days(D(2026, 9, 15), D(2026, 10, 15)) if not CAL.is_working_day(d) and d.weekday() < 5] == [
        D(2026, 9, 25), D(2026, 10, 1), D(2026, 10, 2), D(2026, 10, 5), D(2026, 10, 6), D(2026, 10, 7)]
    assert CAL.is_working_day(D(2026, 9, 20)) and CAL.is_working_day(D(2026, 10, 10))  # Sun, Sat
    assert CAL.holiday_name(D(2026, 10, 3)) == "国庆节"
    assert CAL.holiday_name(D(2026, 10, 11)) is None  # a plain Sunday is no named holiday
    assert {2004, 2026} <= CAL.covered_years()


# --- working days ---------------------------------------------------------------------------------

def test_15_working_days_across_national_day():
    due = compute_due(CAL, D(2026, 9, 30), 15, "working_days")
    # 10-08, 10-09, 10-10 (make-up Sat), 10-12..16, 10-19..23, 10-26, 10-27
    assert due.due == D(2026, 10, 27)
    assert due.days_counted == 15
    assert due.skipped_holidays == tuple((d, "国庆节") for d in days(D(2026, 10, 1), D(2026, 10, 7)))
    assert due.makeup_workdays == (D(2026, 10, 10),)
    assert due.rolled_from is None and due.gap_years == ()


def test_15_working_days_across_mid_autumn_and_national_day_counts_both_makeup_days():
    due = compute_due(CAL, D(2026, 9, 18), 15, "working_days")
    assert due.due == D(2026, 10, 15)
    assert due.makeup_workdays == (D(2026, 9, 20), D(2026, 10, 10))
    assert {n for _, n in due.skipped_holidays} == {"中秋节", "国庆节"}
    assert len(due.skipped_holidays) == 3 + 7


def test_5_working_days_across_spring_festival():
    due = compute_due(CAL, D(2026, 2, 12), 5, "working_days")
    # 02-13 Fri, 02-14 make-up Sat, (02-15..23 春节), 02-24, 02-25, 02-26
    assert due.due == D(2026, 2, 26)
    assert due.makeup_workdays == (D(2026, 2, 14),)
    assert len(due.skipped_holidays) == 9


def test_start_day_counted_when_the_rule_says_so():
    assert compute_due(CAL, D(2026, 9, 30), 15, "working_days", count_start_day=True).due == D(2026, 10, 26)
    assert compute_due(CAL, D(2026, 9, 30), 1, "working_days", count_start_day=True).due == D(2026, 9, 30)
    assert compute_due(CAL, D(2026, 3, 2), 10, "calendar_days", count_start_day=True).due == D(2026, 3, 11)


def test_working_day_period_starting_on_a_holiday():
    # Lead received on 10-03 (holiday): the 15 WD still count from the next working day.
    assert compute_due(CAL, D(2026, 10, 3), 1, "working_days").due == D(2026, 10, 8)


# --- calendar days and months -----------------------------------------------------------------------

def test_calendar_days_ending_on_a_holiday_roll_to_next_working_day():
    due = compute_due(CAL, D(2026, 9, 16), 15, "calendar_days")  # pay a fine: 15 CD
    assert due.rolled_from == D(2026, 10, 1)
    assert due.due == D(2026, 10, 8)
    assert due.days_counted == 15
    assert due.skipped_holidays[0] == (D(2026, 10, 1), "国庆节")
    plain = compute_due(CAL, D(2026, 9, 16), 15, "calendar_days", roll_to_working_day=False)
    assert plain.due == D(2026, 10, 1) and plain.rolled_from is None
    # None (a rule that does not say) means the default: roll.
    assert compute_due(CAL, D(2026, 9, 16), 15, "calendar_days", roll_to_working_day=None).due == D(2026, 10, 8)
    assert compute_due(CAL, D(2026, 7, 1), 3, "months", roll_to_working_day=None).due == D(2026, 10, 8)


def test_calendar_days_ending_on_a_makeup_saturday_do_not_roll():
    due = compute_due(CAL, D(2026, 9, 10), 30, "calendar_days")
    assert due.due == D(2026, 10, 10) and due.rolled_from is None


def test_calendar_days_ending_on_a_weekend_roll_to_monday_without_naming_a_holiday():
    due = compute_due(CAL, D(2026, 3, 2), 90, "calendar_days")  # decide case: 90 CD from 立案
    assert due.rolled_from == D(2026, 5, 31)  # Sunday
    assert due.due == D(2026, 6, 1)
    assert due.skipped_holidays == ()


def test_months_clamp_to_month_end():
    assert add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)
    assert add_months(D(2026, 11, 30), 3) == D(2027, 2, 28)
    assert add_months(D(2026, 8, 31), 1) == D(2026, 9, 30)
    # 2026-02-28 is a Saturday but a make-up working day of 春节: no roll.
    due = compute_due(CAL, D(2026, 1, 31), 1, "months")
    assert due.due == D(2026, 2, 28) and due.rolled_from is None
    assert compute_due(CAL, D(2024, 1, 31), 1, "months").due == D(2024, 2, 29)


def test_months_ending_on_national_day_roll():
    due = compute_due(CAL, D(2026, 7, 1), 3, "months")  # apply to court: 3 months
    assert due.rolled_from == D(2026, 10, 1) and due.due == D(2026, 10, 8)
    assert compute_due(CAL, D(2026, 7, 1), 3, "months", roll_to_working_day=False).due == D(2026, 10, 1)


# --- pauses and extensions -------------------------------------------------------------------------------

def test_appraisal_pause_on_a_working_day_clock():
    plain = compute_due(CAL, D(2026, 3, 2), 15, "working_days")
    assert plain.due == D(2026, 3, 23)
    # appraisal Mon 03-09 .. Sun 03-15: 5 working days not counted
    paused = compute_due(CAL, D(2026, 3, 2), 15, "working_days", pauses=[(D(2026, 3, 9), D(2026, 3, 15))])
    assert paused.due == D(2026, 3, 30)
    assert paused.paused_days == 5
    assert paused.days_counted == 15


def test_appraisal_pause_on_a_calendar_day_clock_then_roll_over_dragon_boat():
    due = compute_due(CAL, D(2026, 3, 2), 90, "calendar_days", pauses=[(D(2026, 4, 1), D(2026, 4, 20))])
    assert due.paused_days == 20
    assert due.rolled_from == D(2026, 6, 20)  # 05-31 + 20 days, a 端午节 Saturday
    assert due.due == D(2026, 6, 22)
    assert due.skipped_holidays == ((D(2026, 6, 20), "端午节"), (D(2026, 6, 21), "端午节"))


def test_overlapping_pauses_are_not_counted_twice():
    one = compute_due(CAL, D(2026, 3, 2), 15, "working_days", pauses=[(D(2026, 3, 9), D(2026, 3, 13))])
    two = compute_due(CAL, D(2026, 3, 2), 15, "working_days",
                      pauses=[(D(2026, 3, 10), D(2026, 3, 13)), (D(2026, 3, 9), D(2026, 3, 11)),
                              (D(2026, 3, 9), D(2026, 3, 13))])
    assert one.due == two.due == D(2026, 3, 30)
    assert two.paused_days == 5 and len(two.pauses) == 1


def test_pauses_outside_the_period_change_nothing():
    plain = compute_due(CAL, D(2026, 3, 2), 15, "working_days")
    due = compute_due(CAL, D(2026, 3, 2), 15, "working_days",
                      pauses=[(D(2026, 2, 1), D(2026, 3, 2)), (D(2026, 3, 24), D(2026, 4, 30))])
    assert due.due == plain.due and due.paused_days == 0 and due.pauses == ()


def test_pause_over_a_holiday_adds_back_only_working_days():
    # 15 WD from 09-30, paused 10-01..10-09: only 10-08 and 10-09 were working days.
    due = compute_due(CAL, D(2026, 9, 30), 15, "working_days", pauses=[(D(2026, 10, 1), D(2026, 10, 9))])
    assert due.paused_days == 2
    assert due.due == D(2026, 10, 29)


def test_extension_of_the_filing_clock():
    due = compute_due(CAL, D(2026, 9, 30), 15, "working_days", extension=15)  # PR art. 18: +15 WD
    assert due.due == D(2026, 11, 17)
    assert due.days_counted == 30
    assert "延长 15 个工作日" in due.explain("zh")
    assert "Extended by 15 working days" in due.explain("en")
    assert compute_due(CAL, D(2026, 3, 2), 90, "calendar_days", extension=30).due == D(2026, 6, 30)


# --- explanation ---------------------------------------------------------------------------------------------

def test_explanation_in_chinese_and_english():
    due = compute_due(CAL, D(2026, 9, 30), 15, "working_days", pauses=[(D(2026, 10, 12), D(2026, 10, 14))])
    zh = due.explain("zh")
    assert zh[0] == "期限 15 个工作日"
    assert "起算日 2026-09-30（不计入）" in zh
    assert "节假日跳过：2026-10-01 至 2026-10-07 国庆节（7 天）" in zh
    assert "调休上班日计入：2026-10-10" in zh
    assert "暂停 2026-10-12 至 2026-10-14：3 个工作日不计入" in zh
    assert zh[-1] == "截止日 2026-10-30"
    en = due.explain("en")
    assert "Holiday skipped: 2026-10-01 to 2026-10-07 National Day (7 days)" in en
    assert en[-1] == "Due 2026-10-30"
    rolled = compute_due(CAL, D(2026, 9, 16), 15, "calendar_days").explain("zh")
    assert "期满日 2026-10-01 为节假日（国庆节），顺延至 2026-10-08" in rolled
    with pytest.raises(ValueError):
        due.explain("fr")


def test_to_dict_is_json_with_iso_dates():
    due = compute_due(CAL, D(2026, 9, 16), 15, "calendar_days", pauses=[(D(2026, 9, 20), D(2026, 9, 21))])
    data = json.loads(json.dumps(due.to_dict()))
    assert data["due"] == "2026-10-08"
    assert data["rolled_from"] == "2026-10-03"
    assert data["paused_days"] == 2
    assert data["pauses"] == [{"from": "2026-09-20", "to": "2026-09-21", "not_counted": 2}]
    assert data["skipped_holidays"][0] == {"day": "2026-10-03", "name": "国庆节", "name_en": "National Day"}
    assert data["gap_years"] == []


# --- coverage, gaps and overrides ---------------------------------------------------------------------------

def test_uncovered_year_raises_instead_of_guessing():
    with pytest.raises(CalendarGapError) as err:
        compute_due(CAL, D(GAP_YEAR, 3, 1), 5, "working_days")
    assert err.value.year == GAP_YEAR and isinstance(err.value, CalendarError)
    with pytest.raises(CalendarGapError):
        CAL.is_working_day(D(2003, 6, 2))
    # A period that only crosses into the gap year fails too.
    with pytest.raises(CalendarGapError):
        compute_due(CAL, D(GAP_YEAR - 1, 12, 20), 15, "working_days")
    assert GAP_YEAR not in CAL.covered_years()


def test_uncovered_year_with_weekend_fallback_is_reported():
    cal = HolidayCalendar(on_gap="weekends")
    start = D(GAP_YEAR, 3, 1)
    due = compute_due(cal, start, 5, "working_days")
    weekdays = [d for d in days(start + timedelta(days=1), due.due) if d.weekday() < 5]
    assert len(weekdays) == 5 and due.due.weekday() < 5
    assert due.gap_years == (GAP_YEAR,)
    assert cal.gap_years == {GAP_YEAR}
    assert GAP_YEAR not in cal.covered_years()
    assert any(str(GAP_YEAR) in line and "警告" in line for line in due.explain("zh"))
    # a computation entirely inside covered years reports no gap, even on the same calendar
    assert compute_due(cal, D(2026, 3, 2), 5, "working_days").gap_years == ()


def test_override_table_covers_a_later_year():
    y = GAP_YEAR
    table = [DayOverride(D(y, 10, d), "holiday", "国庆节") for d in range(1, 8)]
    table.append(DayOverride(D(y, 10, 9), "workday", "国庆节"))
    cal = HolidayCalendar(table)
    assert y in cal.covered_years()
    start = D(y, 9, 30)
    due = compute_due(cal, start, 3, "working_days")
    expected = [d for d in days(D(y, 10, 8), D(y, 10, 31))
                if (d.weekday() < 5 or d == D(y, 10, 9)) and d.day > 7][:3]
    assert due.due == expected[-1]
    assert due.gap_years == ()
    assert [n for _, n in due.skipped_holidays] == ["国庆节"] * 7
    assert cal.is_working_day(D(y, 10, 9))
    assert not cal.is_working_day(D(y, 10, 1))


def test_overrides_win_over_the_package():
    cal = HolidayCalendar([
        DayOverride(D(2026, 10, 8), "holiday", "Typhoon closure"),
        DayOverride(D(2026, 10, 10), "holiday", "国庆节"),      # the make-up Saturday cancelled
        DayOverride(D(2026, 10, 7), "workday", "国庆节"),       # a holiday turned into a working day
    ])
    assert not cal.is_working_day(D(2026, 10, 8)) and cal.is_working_day(D(2026, 10, 7))
    due = compute_due(cal, D(2026, 10, 6), 3, "working_days")
    # 10-07 (now working), 10-09, 10-12
    assert due.due == D(2026, 10, 12)
    assert (D(2026, 10, 8), "Typhoon closure") in due.skipped_holidays
    assert due.makeup_workdays == ()
    # English package names in the table are translated like the package's own
    assert HolidayCalendar([DayOverride(D(2026, 3, 3), "holiday", "Spring Festival")]).holiday_name(
        D(2026, 3, 3)) == "春节"


def test_bad_overrides_are_refused():
    with pytest.raises(ValueError, match="kind"):
        DayOverride(D(2026, 1, 1), "vacation", "x")
    with pytest.raises(ValueError, match="twice"):
        HolidayCalendar([DayOverride(D(2026, 1, 1), "holiday"), DayOverride(D(2026, 1, 1), "workday")])
    with pytest.raises(ValueError, match="on_gap"):
        HolidayCalendar(on_gap="guess")


# --- input checking ---------------------------------------------------------------------------------------------

def test_parse_pause():
    assert parse_pause("2026-10-01:2026-10-05") == (D(2026, 10, 1), D(2026, 10, 5))
    assert parse_pause(" 2026-10-01 : 2026-10-01 ") == (D(2026, 10, 1), D(2026, 10, 1))
    for bad in ("2026-10-01", "2026-10-01:2026-10-05:2026-10-06", "2026-13-01:2026-10-05", "tomorrow:later",
                "2026-10-05:2026-10-01"):
        with pytest.raises(ValueError) as err:
            parse_pause(bad)
        assert repr(bad) in str(err.value)


@pytest.mark.parametrize("kwargs, match", [
    ({"length": 0}, "length"),
    ({"length": -3}, "length"),
    ({"unit": "weeks"}, "unit"),
    ({"extension": -1}, "extension"),
    ({"pauses": [(D(2026, 3, 5), D(2026, 3, 4))]}, "ends before"),
])
def test_bad_arguments_are_refused(kwargs, match):
    args = {"length": 5, "unit": "working_days", **kwargs}
    with pytest.raises(ValueError, match=match):
        compute_due(CAL, D(2026, 3, 2), args.pop("length"), args.pop("unit"), **args)
