"""The Chinese working-day calendar and deadline arithmetic (procedures.md §0).

`HolidayCalendar` answers "is this a working day?" from the `chinese_calendar` package for
the years it covers, plus admin-maintained overrides (the `holidays` table) for later years.
A year known to neither is never guessed silently: it raises `CalendarGapError`, or, with
`on_gap="weekends"`, counts Mon–Fri and records the year in `gap_years` for a visible warning.

`compute_due` adds working days, calendar days or months to a start date, honouring pauses
and extensions, and returns a `DueDate` that explains itself (zh/en lines, JSON dict).
Pure Python: no database, no Flask.
"""
from __future__ import annotations

import calendar as monthcal
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Iterable, Literal, NamedTuple, Sequence

import chinese_calendar

Unit = Literal["working_days", "calendar_days", "months"]
UNITS: tuple[str, ...] = ("working_days", "calendar_days", "months")
OverrideKind = Literal["holiday", "workday"]
GapPolicy = Literal["raise", "weekends"]

ONE_DAY = timedelta(days=1)

# chinese_calendar's English holiday names -> the names clerks use.
HOLIDAY_NAMES_ZH: dict[str, str] = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}
HOLIDAY_NAMES_EN: dict[str, str] = {zh: en for en, zh in HOLIDAY_NAMES_ZH.items()}


def name_zh(name: str) -> str:
    """A holiday name in Chinese (package names are English; admin names are kept as entered)."""
    return HOLIDAY_NAMES_ZH.get(name, name)


def name_en(name: str) -> str:
    return HOLIDAY_NAMES_EN.get(name, name)


# --- errors ------------------------------------------------------------------------------------

class CalendarError(Exception):
    """The calendar cannot answer reliably."""


class CalendarGapError(CalendarError):
    """Neither chinese_calendar nor the holiday table has data for `year`."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(f"No holiday data for {year}: neither chinese_calendar nor the holiday table "
                         f"covers it; an administrator must enter the State Council's arrangement.")


# --- the calendar ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class DayOverride:
    """An admin-maintained day: a statutory holiday, or a make-up working day (调休上班日)."""
    day: date
    kind: OverrideKind
    name: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("holiday", "workday"):
            raise ValueError(f"holiday override {self.day}: kind must be 'holiday' or 'workday', not {self.kind!r}")
        if not isinstance(self.day, date) or isinstance(self.day, datetime):
            raise ValueError(f"holiday override: day must be a date, not {self.day!r}")


@dataclass(frozen=True)
class DayInfo:
    day: date
    working: bool
    holiday: bool          # a named statutory holiday (not a plain weekend)
    name: str | None       # Chinese name of the holiday, or of the holiday a make-up day belongs to
    guessed: bool = False  # a gap year, answered by the weekend rule

    @property
    def makeup_workday(self) -> bool:
        return self.working and self.day.weekday() >= 5


@lru_cache(maxsize=1)
def package_years() -> frozenset[int]:
    """The years chinese_calendar has data for, found by asking it (it raises for unknown years)."""
    years = set()
    for year in range(1990, 2200):
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
        except NotImplementedError:
            continue
        years.add(year)
    return frozenset(years)


@lru_cache(maxsize=4096)
def _package_day(day: date) -> DayInfo:
    """chinese_calendar's verdict on a day; its data never changes in a process, and each of its
    lookups scans all its dates first (to check the year), so every calendar shares these."""
    working = chinese_calendar.is_workday(day)
    is_holiday, name = chinese_calendar.get_holiday_detail(day)
    named = name_zh(name) if name else None
    return DayInfo(day, working, bool(is_holiday and named), named)


class HolidayCalendar:
    """Working days: chinese_calendar for its years, overrides on top (they win), nothing guessed.

    `on_gap="raise"` (default): a day in a year covered by neither raises `CalendarGapError`.
    `on_gap="weekends"`: such a day is a working day iff Mon–Fri, and its year lands in `gap_years`.
    `use_package=False` ignores chinese_calendar (tests, or a table that is the single source).
    """

    def __init__(self, overrides: Iterable[DayOverride] = (), *, on_gap: GapPolicy = "raise",
                 use_package: bool = True):
        if on_gap not in ("raise", "weekends"):
            raise ValueError(f"on_gap must be 'raise' or 'weekends', not {on_gap!r}")
        self.on_gap = on_gap
        self.gap_years: set[int] = set()
        self._package_years = package_years() if use_package else frozenset()
        self._overrides: dict[date, DayOverride] = {}
        for o in overrides:
            seen = self._overrides.get(o.day)
            if seen is not None and seen.kind != o.kind:
                raise ValueError(f"holiday override {o.day} is given twice, as {seen.kind} and as {o.kind}")
            self._overrides[o.day] = o
        self._override_years = frozenset(d.year for d in self._overrides)
        self._cache: dict[date, DayInfo] = {}

    def covered_years(self) -> frozenset[int]:
        """Years with real data (package or at least one override); gap years are not covered."""
        return self._package_years | self._override_years

    def is_working_day(self, day: date) -> bool:
        return self.day_info(day).working

    def holiday_name(self, day: date) -> str | None:
        info = self.day_info(day)
        return info.name if info.holiday else None

    def day_info(self, day: date) -> DayInfo:
        info = self._cache.get(day)
        if info is None:
            info = self._cache[day] = self._lookup(day)
        if info.guessed:
            self.gap_years.add(day.year)
        return info

    def _lookup(self, day: date) -> DayInfo:
        override = self._overrides.get(day)
        if override is not None:
            working = override.kind == "workday"
            return DayInfo(day, working, not working, name_zh(override.name) if override.name else None)
        weekday = day.weekday() < 5
        if day.year in self._package_years:
            return _package_day(day)
        if day.year in self._override_years:
            return DayInfo(day, weekday, False, None)
        if self.on_gap == "raise":
            raise CalendarGapError(day.year)
        return DayInfo(day, weekday, False, None, guessed=True)


# --- deadline arithmetic ---------------------------------------------------------------------------

class PauseEffect(NamedTuple):
    first: date
    last: date
    not_counted: int  # working days (WD) or calendar days (CD, months) the clock stood still


@dataclass(frozen=True)
class DueDate:
    """A due date and how it was reached."""
    due: date
    start: date
    length: int
    unit: Unit
    extension: int = 0
    count_start_day: bool = False
    days_counted: int = 0                                    # working days (WD) or calendar days counted
    skipped_holidays: tuple[tuple[date, str], ...] = ()      # named holidays only, never plain weekends
    makeup_workdays: tuple[date, ...] = ()                   # 调休上班日 counted (WD)
    paused_days: int = 0                                     # days not counted because of pauses
    pauses: tuple[PauseEffect, ...] = ()                     # merged pauses that touched the period
    rolled_from: date | None = None                          # period end before moving to a working day
    gap_years: tuple[int, ...] = ()                          # years answered by the weekend rule

    def explain(self, lang: Literal["zh", "en"] = "zh") -> list[str]:
        if lang not in ("zh", "en"):
            raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
        zh = lang == "zh"
        unit = _unit_label(self.unit, zh)
        lines = [f"期限 {self.length} {unit}" if zh else f"Period: {self.length} {unit}"]
        counted = "计入" if self.count_start_day else "不计入"
        lines.append(f"起算日 {self.start}（{counted}）" if zh else
                     f"Start {self.start} ({'counted' if self.count_start_day else 'not counted'})")
        for first, last, name in _holiday_runs(self.skipped_holidays):
            label = (name or "节假日") if zh else (name_en(name) if name else "holiday")
            days = (last - first).days + 1
            if zh:
                span = f"{first}" if days == 1 else f"{first} 至 {last}"
                lines.append(f"节假日跳过：{span} {label}" + ("" if days == 1 else f"（{days} 天）"))
            else:
                span = f"{first}" if days == 1 else f"{first} to {last}"
                lines.append(f"Holiday skipped: {span} {label}" + ("" if days == 1 else f" ({days} days)"))
        if self.makeup_workdays:
            listed = ("、" if zh else ", ").join(map(str, self.makeup_workdays))
            lines.append(f"调休上班日计入：{listed}" if zh else f"Make-up working days counted: {listed}")
        wd = self.unit == "working_days"
        for p in self.pauses:
            if zh:
                what = f"{p.not_counted} 个工作日" if wd else f"{p.not_counted} 天"
                lines.append(f"暂停 {p.first} 至 {p.last}：{what}不计入")
            else:
                what = f"{p.not_counted} working day(s)" if wd else f"{p.not_counted} day(s)"
                lines.append(f"Paused {p.first} to {p.last}: {what} not counted")
        if len(self.pauses) > 1:
            if zh:
                lines.append(f"暂停共 {self.paused_days} " + ("个工作日" if wd else "天"))
            else:
                lines.append(f"Paused in total: {self.paused_days} " + ("working day(s)" if wd else "day(s)"))
        if self.extension:
            lines.append(f"延长 {self.extension} {unit}" if zh else f"Extended by {self.extension} {unit}")
        if zh:
            lines.append(f"共计入 {self.days_counted} " + ("个工作日" if wd else "天"))
        else:
            lines.append(f"Counted: {self.days_counted} " + ("working day(s)" if wd else "calendar day(s)"))
        if self.rolled_from is not None:
            name = dict(self.skipped_holidays).get(self.rolled_from)
            if zh:
                why = f"节假日（{name}）" if name else ("节假日" if name == "" else "休息日")
                lines.append(f"期满日 {self.rolled_from} 为{why}，顺延至 {self.due}")
            else:
                why = f"a holiday ({name_en(name)})" if name else ("a holiday" if name == "" else "not a working day")
                lines.append(f"Period ends {self.rolled_from}, {why}: moved to {self.due}")
        for year in self.gap_years:
            lines.append(f"警告：{year} 年节假日安排未录入，仅按周末计算" if zh else
                         f"Warning: no holiday data for {year}; only weekends were skipped")
        lines.append(f"截止日 {self.due}" if zh else f"Due {self.due}")
        return lines

    def to_dict(self) -> dict:
        """JSON-serialisable (ISO dates) for the API and CLI."""
        return {
            "due": self.due.isoformat(),
            "start": self.start.isoformat(),
            "length": self.length,
            "unit": self.unit,
            "extension": self.extension,
            "count_start_day": self.count_start_day,
            "days_counted": self.days_counted,
            "skipped_holidays": [{"day": d.isoformat(), "name": n, "name_en": name_en(n)}
                                 for d, n in self.skipped_holidays],
            "makeup_workdays": [d.isoformat() for d in self.makeup_workdays],
            "paused_days": self.paused_days,
            "pauses": [{"from": p.first.isoformat(), "to": p.last.isoformat(), "not_counted": p.not_counted}
                       for p in self.pauses],
            "rolled_from": self.rolled_from.isoformat() if self.rolled_from else None,
            "gap_years": list(self.gap_years),
        }


def _unit_label(unit: str, zh: bool) -> str:
    if zh:
        return {"working_days": "个工作日", "calendar_days": "日", "months": "个月"}[unit]
    return {"working_days": "working days", "calendar_days": "calendar days", "months": "months"}[unit]


def _holiday_runs(days: Sequence[tuple[date, str]]) -> list[tuple[date, date, str]]:
    """Consecutive days of the same holiday as (first, last, name)."""
    runs: list[list] = []
    for day, name in days:
        if runs and runs[-1][2] == name and runs[-1][1] + ONE_DAY == day:
            runs[-1][1] = day
        else:
            runs.append([day, day, name])
    return [tuple(r) for r in runs]


def add_months(day: date, months: int) -> date:
    """The same day-of-month `months` later, clamped to the month's end (Jan 31 + 1 = Feb 28/29)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, monthcal.monthrange(year, month)[1]))


def merge_pauses(pauses: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    """Sorted, with overlapping or touching ranges merged, so no day is paused twice."""
    spans = []
    for first, last in pauses:
        if not isinstance(first, date) or not isinstance(last, date):
            raise ValueError(f"a pause must be two dates, not {(first, last)!r}")
        if last < first:
            raise ValueError(f"pause {first}:{last} ends before it starts")
        spans.append((first, last))
    merged: list[tuple[date, date]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + ONE_DAY:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def parse_pause(text: str) -> tuple[date, date]:
    """'2026-10-01:2026-10-05' -> (date(2026, 10, 1), date(2026, 10, 5)); both days are not counted."""
    parts = str(text).strip().split(":")
    if len(parts) != 2:
        raise ValueError(f"pause {text!r} must be FROM:TO, e.g. 2026-10-01:2026-10-05")
    try:
        first, last = (date.fromisoformat(p.strip()) for p in parts)
    except ValueError:
        raise ValueError(f"pause {text!r} must be FROM:TO with dates like 2026-10-01:2026-10-05") from None
    if last < first:
        raise ValueError(f"pause {text!r} ends before it starts")
    return first, last


def compute_due(calendar: HolidayCalendar, start: date, length: int, unit: Unit, *,
                count_start_day: bool = False, roll_to_working_day: bool | None = True,
                pauses: Iterable[tuple[date, date]] = (), extension: int = 0) -> DueDate:
    """The due date of a period of `length` (+ `extension`) units from `start`.

    working_days: count working days (make-up days count, holidays and weekends don't).
    calendar_days / months: count calendar days (months: to the same day-of-month, clamped),
    then, if `roll_to_working_day` (None = the default, True), move off a non-working end day.
    Days inside `pauses` (inclusive ranges) are not counted, so they push the end out.
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {', '.join(UNITS)}, not {unit!r}")
    if not isinstance(start, date) or isinstance(start, datetime):
        raise ValueError(f"start must be a date, not {start!r}")
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise ValueError(f"length must be a whole number of at least 1, not {length!r}")
    if isinstance(extension, bool) or not isinstance(extension, int) or extension < 0:
        raise ValueError(f"extension must be a whole number of at least 0, not {extension!r}")
    spans = merge_pauses(pauses)
    total = length + extension
    first = start if count_start_day else start + ONE_DAY
    walk = _Walk(calendar, spans)

    if unit == "working_days":
        end = walk.count(first, total, working_only=True)
        rolled_from = None
    else:
        if unit == "months":
            # The period runs to the same day-of-month; counting the start day ends it one day earlier.
            period_end = add_months(start, total) - (ONE_DAY if count_start_day else timedelta(0))
            days = (period_end - first).days + 1
        else:
            days = total
        end = walk.count(first, days, working_only=False)
        rolled_from = None
        if roll_to_working_day is None or roll_to_working_day:
            rolled = walk.roll(end)
            if rolled != end:
                end, rolled_from = rolled, end

    effects = walk.pause_effects(rolled_from or end)
    return DueDate(
        due=end, start=start, length=length, unit=unit, extension=extension, count_start_day=count_start_day,
        days_counted=walk.counted, skipped_holidays=tuple(walk.skipped), makeup_workdays=tuple(walk.makeup),
        paused_days=sum(p.not_counted for p in effects), pauses=tuple(effects),
        rolled_from=rolled_from, gap_years=tuple(sorted(walk.gap_years)),
    )


class _Walk:
    """Day-by-day counting that records what it skipped (periods are short: a walk is cheap)."""

    def __init__(self, calendar: HolidayCalendar, pauses: list[tuple[date, date]]):
        self.calendar = calendar
        self.pauses = pauses
        self.counted = 0
        self.skipped: list[tuple[date, str]] = []
        self.makeup: list[date] = []
        self.gap_years: set[int] = set()
        self._paused: dict[tuple[date, date], int] = {}
        self._first: date | None = None

    def _info(self, day: date) -> DayInfo:
        info = self.calendar.day_info(day)
        if info.guessed:
            self.gap_years.add(day.year)
        return info

    def _pause_of(self, day: date) -> tuple[date, date] | None:
        for span in self.pauses:
            if span[0] <= day <= span[1]:
                return span
        return None

    def count(self, first: date, n: int, *, working_only: bool) -> date:
        """The day on which the n-th counted day falls, walking from `first`."""
        self._first = first
        day = first - ONE_DAY
        while self.counted < n:
            day += ONE_DAY
            pause = self._pause_of(day)
            if working_only:
                info = self._info(day)
                if info.holiday:
                    self.skipped.append((day, info.name or ""))
                if not info.working:
                    continue
            if pause is not None:
                self._paused[pause] = self._paused.get(pause, 0) + 1
                continue
            self.counted += 1
            if working_only and info.makeup_workday:
                self.makeup.append(day)
        return day

    def roll(self, end: date) -> date:
        """The first working day on or after `end`; named holidays passed over are recorded."""
        day = end
        while True:
            info = self._info(day)
            if info.working:
                return day
            if info.holiday:
                self.skipped.append((day, info.name or ""))
            day += ONE_DAY

    def pause_effects(self, last_counted: date) -> list[PauseEffect]:
        """The pauses that overlapped the counting window, with the days each kept from counting."""
        if self._first is None:
            return []
        return [PauseEffect(a, b, self._paused.get((a, b), 0)) for a, b in self.pauses
                if a <= last_counted and b >= self._first]
