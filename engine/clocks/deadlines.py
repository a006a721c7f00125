"""From calendar dates to the moments the scheduler acts on (Asia/Shanghai days, UTC instants)."""
from __future__ import annotations

import calendar as monthcal
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def start_of_day(day: date) -> datetime:
    """00:00 of `day` in Tai'an, as an aware UTC datetime."""
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ).astimezone(timezone.utc)


def end_of_day(day: date) -> datetime:
    """The first instant after `day` ends in Tai'an: a limit is breached from this moment on."""
    return start_of_day(day + timedelta(days=1))


def working_days_before(calendar, day: date, count: int) -> date:
    """The working day `count` working days before `day` (the warning day for a due date)."""
    current, left = day, count
    while left > 0:
        current -= timedelta(days=1)
        if calendar.is_working_day(current):
            left -= 1
    return current


def span_before(calendar, day: date, length: int, unit: str) -> date:
    """`day` moved back by a span (working days, calendar days or whole months)."""
    if unit == "working_days":
        return working_days_before(calendar, day, length)
    if unit == "calendar_days":
        return day - timedelta(days=length)
    month = day.month - 1 - length
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, monthcal.monthrange(year, month)[1]))


def span_after(calendar, day: date, length: int, unit: str) -> date:
    """`day` moved on by a span (used for escalation after a breach)."""
    if unit == "working_days":
        current, left = day, length
        while left > 0:
            current += timedelta(days=1)
            if calendar.is_working_day(current):
                left -= 1
        return current
    if unit == "calendar_days":
        return day + timedelta(days=length)
    month = day.month - 1 + length
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, monthcal.monthrange(year, month)[1]))
