"""The working-day calendar: chinese_calendar's years plus the admin-maintained holiday table.

Editing the table recomputes every open clock whose window covers the edited day; the
changes are returned, audited on each affected case and in one `holiday.*` event.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from engine.clocks.calendar import DayOverride, HolidayCalendar
from engine.clocks.deadlines import local_date
from engine.context import Context
from engine.errors import Forbidden, Invalid, NotFound
from engine.models import Holiday, Role, User
from engine.services import audit, lookups

KINDS = ("holiday", "workday")


def table_content():
    """The holiday table's content as one string (NULL when empty), for a query to take along:
    a step's locking read does (`seen`), so the clocks the step starts need no read of the table
    while its content is one this process has read before."""
    def sized(column):  # length-prefixed, so that no name can make two contents read the same
        return cast(func.length(column), String) + ":" + column
    entry = cast(Holiday.day, String) + " " + sized(Holiday.kind) + " " + sized(Holiday.name)
    return select(func.aggregate_strings(entry, "\n")).scalar_subquery()


_SEEN = "holidays.seen"  # session.info key: the table's content as the transaction saw it
_BY_CONTENT: dict[str, HolidayCalendar] = {}  # calendars by table content (`table_content`)
_READ = select(Holiday.day, Holiday.kind, Holiday.name, table_content()).order_by(Holiday.day)


def seen(session: Session, content: str | None) -> None:
    """What `table_content` gave in this transaction."""
    session.info[_SEEN] = content or ""


def load_calendar(session: Session) -> HolidayCalendar:
    """The calendar clocks use: package data plus table overrides; a year without data
    counts weekends only and is reported in every due date it affects (`gap_years`).

    One calendar per table content and process: it memoises the days it has looked up, which
    a new calendar per clock start would look up again. The table is read unless the
    transaction saw its content already (`seen`) and this process built that content's
    calendar before. The key is the content itself, read in the same statement as the rows,
    so an edit by any process is seen at once."""
    calendar = _BY_CONTENT.get(session.info.get(_SEEN))
    if calendar is None:
        rows = session.execute(_READ).all()
        content = rows[0][3] if rows else ""
        calendar = _BY_CONTENT.get(content)
        if calendar is None:
            calendar = HolidayCalendar(tuple(DayOverride(day, kind, name) for day, kind, name, _ in rows),
                                       on_gap="weekends")
            if len(_BY_CONTENT) >= 8:  # a few contents at a time: the table's, and while it is edited
                _BY_CONTENT.clear()
            _BY_CONTENT[content] = calendar
    return calendar


def coverage(ctx: Context, years: list[int] | None = None) -> dict:
    """Which years have holiday data; by default this year and the next, which clocks reach."""
    with ctx.uow() as uow:
        cal = load_calendar(uow.session)
        this_year = local_date(ctx.clock.now()).year
        wanted = years or [this_year, this_year + 1]
        covered = sorted(cal.covered_years())
        missing = [y for y in wanted if y not in covered]
        return {"covered_years": covered, "missing_years": missing, "warnings": [gap_warning(y) for y in missing]}


def gap_warning(year: int) -> dict:
    return {"year": year,
            "zh": f"{year}年节假日安排尚未录入：期限只跳过周末，请管理员录入国务院公布的放假调休安排。",
            "en": f"No holiday data for {year}: deadlines skip weekends only until an admin enters "
                  f"the State Council's arrangement."}


def list_days(ctx: Context, year: int | None = None) -> list[dict]:
    with ctx.uow() as uow:
        query = select(Holiday).order_by(Holiday.day)
        if year is not None:
            query = query.where(Holiday.day >= date(year, 1, 1), Holiday.day <= date(year, 12, 31))
        return [_view(h) for h in uow.session.scalars(query)]


def _view(h: Holiday) -> dict:
    return {"day": h.day.isoformat(), "kind": h.kind, "name": h.name}


def _admin(session: Session, username: str) -> User:
    user = lookups.user(session, username)
    if not user.has_role(Role.ADMIN):
        raise Forbidden("Only an administrator may edit the holiday table.")
    return user


def set_day(ctx: Context, *, username: str, day: date, kind: str, name: str) -> dict:
    """Add or change one day; returns the day and the clocks whose due date moved."""
    if kind not in KINDS:
        raise Invalid("Kind must be one of {kinds}.", errors={"kind": ["unknown"]}, kinds=", ".join(KINDS))
    if not name or not name.strip():
        raise Invalid("A name is required (e.g. 国庆节).", errors={"name": ["required"]})
    from engine.services import clocks
    with ctx.uow() as uow:
        s = uow.session
        now = ctx.clock.now()
        user = _admin(s, username)
        row = s.scalar(select(Holiday).where(Holiday.day == day))
        before = _view(row) if row else None
        if row is None:
            row = Holiday(day=day, kind=kind, name=name.strip(), created_by_id=user.id, created_at=now)
            s.add(row)
        else:
            row.kind, row.name = kind, name.strip()
        s.flush()
        changes = clocks.recompute_for_days(s, [day], now, user, reason="holiday table edited")
        audit.record(s, at=now, action="holiday.set", actor=user, before=before, after=_view(row),
                     details={"recomputed": changes})
        uow.commit()
        return {"day": _view(row), "recomputed": changes}


def remove_day(ctx: Context, *, username: str, day: date) -> dict:
    from engine.services import clocks
    with ctx.uow() as uow:
        s = uow.session
        now = ctx.clock.now()
        user = _admin(s, username)
        row = s.scalar(select(Holiday).where(Holiday.day == day))
        if row is None:
            raise NotFound("No holiday table entry for {day}.", day=day.isoformat())
        before = _view(row)
        s.delete(row)
        s.flush()
        changes = clocks.recompute_for_days(s, [day], now, user, reason="holiday table edited")
        audit.record(s, at=now, action="holiday.removed", actor=user, before=before,
                     details={"recomputed": changes})
        uow.commit()
        return {"day": before, "recomputed": changes}
