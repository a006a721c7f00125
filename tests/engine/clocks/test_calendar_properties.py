"""Properties of the deadline arithmetic over chinese_calendar's covered years.

The oracles here walk the calendar one day at a time with `is_working_day`, independently of
how `compute_due` walks, pauses and rolls.
"""
from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings, strategies as st

from engine.clocks.calendar import HolidayCalendar, add_months, compute_due, package_years

CAL = HolidayCalendar()  # strict: leaving the covered years fails the test instead of guessing
FIRST, LAST = min(package_years()), max(package_years())
ONE = timedelta(days=1)

# Start dates leave room for the longest period below to stay inside the covered years.
starts = st.dates(date(FIRST, 1, 1), date(LAST, 6, 30))
month_starts = st.dates(date(FIRST, 1, 1), date(LAST - 1, 6, 30))  # up to 13 months + pauses
wd_lengths = st.integers(1, 40)
cd_lengths = st.integers(1, 60)
FAST = settings(max_examples=60, deadline=None, database=None)


def working_days_in(first: date, last: date) -> int:
    """Working days in [first, last]."""
    n, day = 0, first
    while day <= last:
        n += CAL.is_working_day(day)
        day += ONE
    return n


def nth_working_day_after(day: date, n: int) -> date:
    while n:
        day += ONE
        n -= CAL.is_working_day(day)
    return day


@FAST
@given(starts, wd_lengths)
def test_working_day_due_is_a_working_day_with_exactly_n_working_days_after_start(start, n):
    due = compute_due(CAL, start, n, "working_days").due
    assert CAL.is_working_day(due)
    assert working_days_in(start + ONE, due) == n
    assert due == nth_working_day_after(start, n)


@FAST
@given(starts, wd_lengths)
def test_working_days_strictly_monotonic(start, n):
    assert compute_due(CAL, start, n, "working_days").due < compute_due(CAL, start, n + 1, "working_days").due


@FAST
@given(month_starts, cd_lengths, st.sampled_from(["calendar_days", "months"]))
def test_calendar_periods_monotonic(start, n, unit):
    n = n if unit == "calendar_days" else n % 12 + 1
    assert compute_due(CAL, start, n, unit).due <= compute_due(CAL, start, n + 1, unit).due


@FAST
@given(starts, cd_lengths)
def test_calendar_days_without_roll_is_plain_addition(start, n):
    due = compute_due(CAL, start, n, "calendar_days", roll_to_working_day=False)
    assert due.due == start + timedelta(days=n)
    assert due.rolled_from is None and due.days_counted == n


@FAST
@given(starts, cd_lengths)
def test_calendar_days_roll_to_the_first_working_day_on_or_after_the_end(start, n):
    end = start + timedelta(days=n)
    due = compute_due(CAL, start, n, "calendar_days")
    assert CAL.is_working_day(due.due)
    assert due.due >= end
    assert working_days_in(end, due.due - ONE) == 0  # nothing workable was passed over
    assert (due.rolled_from is None) == (due.due == end)


@FAST
@given(month_starts, st.integers(1, 12))
def test_months_land_on_the_same_day_of_month_clamped(start, n):
    due = compute_due(CAL, start, n, "months", roll_to_working_day=False).due
    assert (due.year * 12 + due.month) - (start.year * 12 + start.month) == n
    assert due.day == start.day or ((due + ONE).day == 1 and due.day < start.day)
    assert compute_due(CAL, start, n, "months").due >= due


@FAST
@given(starts, wd_lengths, st.integers(0, 39), st.integers(0, 20))
def test_a_pause_inside_a_working_day_period_moves_it_by_its_working_days(start, n, offset, span):
    plain = compute_due(CAL, start, n, "working_days").due
    first = start + ONE + timedelta(days=offset % (plain - start).days)  # within (start, plain]
    last = first + timedelta(days=span)
    k = working_days_in(first, last)
    paused = compute_due(CAL, start, n, "working_days", pauses=[(first, last)])
    assert paused.paused_days == k
    assert paused.due == nth_working_day_after(plain, k)
    assert paused.days_counted == n


@FAST
@given(starts, cd_lengths, st.integers(0, 59), st.integers(0, 20))
def test_a_pause_inside_a_calendar_day_period_adds_every_paused_day(start, n, offset, span):
    first = start + ONE + timedelta(days=offset % n)
    last = first + timedelta(days=span)
    paused = compute_due(CAL, start, n, "calendar_days", roll_to_working_day=False, pauses=[(first, last)])
    assert paused.due == start + timedelta(days=n + span + 1)
    assert paused.paused_days == span + 1


@FAST
@given(month_starts, wd_lengths, st.sampled_from(["working_days", "calendar_days", "months"]),
       st.lists(st.tuples(st.integers(-30, 90), st.integers(0, 15)), max_size=3))
def test_pauses_never_make_a_deadline_earlier(start, n, unit, raw):
    n = n if unit != "months" else n % 6 + 1
    pauses = [(start + timedelta(days=a), start + timedelta(days=a + b)) for a, b in raw]
    plain = compute_due(CAL, start, n, unit).due
    assert compute_due(CAL, start, n, unit, pauses=pauses).due >= plain


@FAST
@given(starts, wd_lengths, st.sampled_from(["working_days", "calendar_days"]),
       st.integers(1, 60), st.integers(0, 10), st.integers(0, 10))
def test_overlapping_pauses_count_once(start, n, unit, a, b, c):
    union = (start + timedelta(days=a), start + timedelta(days=a + b + c))
    parts = [(start + timedelta(days=a), start + timedelta(days=a + b)),
             (start + timedelta(days=a + b - min(b, c)), union[1]), union]
    one = compute_due(CAL, start, n, unit, pauses=[union])
    many = compute_due(CAL, start, n, unit, pauses=parts)
    assert (many.due, many.paused_days) == (one.due, one.paused_days)


@FAST
@given(starts, wd_lengths, st.integers(0, 20), st.sampled_from(["working_days", "calendar_days"]),
       st.booleans())
def test_extension_is_the_same_as_a_longer_period(start, n, m, unit, count_start_day):
    extended = compute_due(CAL, start, n, unit, extension=m, count_start_day=count_start_day)
    longer = compute_due(CAL, start, n + m, unit, count_start_day=count_start_day)
    assert extended.due == longer.due
    assert extended.days_counted == n + m


@FAST
@given(starts, wd_lengths, st.sampled_from(["working_days", "calendar_days"]))
def test_counting_the_start_day_is_starting_a_day_earlier(start, n, unit):
    counted = compute_due(CAL, start, n, unit, count_start_day=True).due
    assert counted == compute_due(CAL, start - ONE, n, unit).due
    assert counted <= compute_due(CAL, start, n, unit).due


@FAST
@given(starts, wd_lengths)
def test_explanation_accounts_for_every_day_of_a_working_day_period(start, n):
    """Each day in (start, due] is counted, a named holiday, or a plain weekend: nothing else."""
    due = compute_due(CAL, start, n, "working_days")
    holidays = {d for d, _ in due.skipped_holidays}
    makeup = set(due.makeup_workdays)
    day = start + ONE
    while day <= due.due:
        if CAL.is_working_day(day):
            assert day not in holidays
            assert (day in makeup) == (day.weekday() >= 5)
        else:
            assert day in holidays or (day.weekday() >= 5 and CAL.holiday_name(day) is None)
        day += ONE
    assert all(start < d <= due.due for d in holidays | makeup)


def test_add_months_round_trips_on_early_days():
    for day in (date(2026, m, d) for m in range(1, 13) for d in (1, 15, 28)):
        assert add_months(add_months(day, 5), -5) == day
