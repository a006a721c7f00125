"""`ipcase calendar | holiday | clock | supervision | notifications | scheduler`: deadlines and 督办.

Registered on the main `ipcase` group by engine/cli.py. Arguments are parsed here, not by
click types, so bad input is one line of reason and exit status 1, like every command.
"""
from __future__ import annotations

import re
import sys
from datetime import date, timedelta
from pathlib import Path

import click

from engine.cli import _ctx, _echo_json, cli, domain_errors
from engine.errors import Invalid

UNITS = {"working-days": "working_days", "calendar-days": "calendar_days", "months": "months"}


def _date(value: str | None, what: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid("{what} must be a date like 2026-10-08, not {value!r}.", errors={what: ["not a date"]},
                      what=what, value=value) from None


def _int(value: str, what: str, minimum: int = 0) -> int:
    if not re.fullmatch(r"-?\d+", str(value).strip()):
        raise Invalid("{what} must be a whole number, not {value!r}.", errors={what: ["not a number"]},
                      what=what, value=value)
    number = int(value)
    if number < minimum:
        raise Invalid("{what} must be at least {minimum}.", errors={what: ["too small"]}, what=what, minimum=minimum)
    return number


def _calendar(ctx):
    """The holiday calendar clocks use (package + table); without a database, the package alone."""
    from sqlalchemy.exc import SQLAlchemyError

    from engine.clocks.calendar import HolidayCalendar
    from engine.services.holidays import load_calendar
    try:
        with ctx.uow() as uow:
            return load_calendar(uow.session), None
    except SQLAlchemyError:
        return HolidayCalendar([], on_gap="weekends"), "holiday table unavailable (run `ipcase db upgrade`)"


# --- calendar ------------------------------------------------------------------------------------

@cli.group("calendar")
def calendar_group():
    """Working-day calendar and deadline arithmetic."""


@calendar_group.command("due")
@click.option("--start", required=True, help="the day the period starts from (YYYY-MM-DD)")
@click.option("--length", required=True, help="how many units")
@click.option("--unit", "unit_name", required=True, help="working-days | calendar-days | months")
@click.option("--pause", "pauses", multiple=True, help="FROM:TO, days not counted (repeatable)")
@click.option("--extend", default="0", help="approved extension, in the same unit")
@click.option("--count-start-day", is_flag=True, help="count the start day itself")
@click.option("--lang", default="zh", type=click.Choice(["zh", "en"]), show_default=True)
@click.option("--strict", is_flag=True, help="exit 1 when a year without holiday data is crossed")
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def calendar_due(start, length, unit_name, pauses, extend, count_start_day, lang, strict, as_json):
    """The due date of a period, and why (the same code the case clocks use)."""
    from engine.clocks.calendar import compute_due, parse_pause
    from engine.services.holidays import gap_warning
    if unit_name not in UNITS:
        raise Invalid("--unit must be one of {choices}, not {value!r}.", errors={"unit": ["unknown"]},
                      choices=", ".join(UNITS), value=unit_name)
    start_day = _date(start, "start")
    length_n = _int(length, "length", 1)
    extension = _int(extend, "extend", 0)
    try:
        spans = [parse_pause(p) for p in pauses]
    except ValueError as err:
        raise Invalid("--pause: {detail}", errors={"pause": [str(err)]}, detail=str(err)) from None
    cal, note = _calendar(_ctx())
    try:
        due = compute_due(cal, start_day, length_n, UNITS[unit_name], count_start_day=count_start_day,
                          pauses=spans, extension=extension)
    except ValueError as err:
        raise Invalid("{detail}", errors={"input": [str(err)]}, detail=str(err)) from None
    warnings = [gap_warning(y)[lang] for y in due.gap_years] + ([note] if note else [])
    if as_json:
        _echo_json({**due.to_dict(), "explanation": due.explain(lang), "warnings": warnings})
    else:
        click.echo(due.due.isoformat())
        for line in due.explain(lang):
            click.echo(f"  {line}")
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    if strict and due.gap_years:
        sys.exit(1)


@calendar_group.command("check")
@click.option("--year", "years", multiple=True, help="years to check (default: this year and the next)")
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def calendar_check(years, as_json):
    """Which years have holiday data; exit 1 if one is missing."""
    from engine.services import holidays
    result = holidays.coverage(_ctx(), [_int(y, "year", 1900) for y in years] or None)
    if as_json:
        _echo_json(result)
    else:
        click.echo("covered: " + ", ".join(map(str, result["covered_years"])))
        for w in result["warnings"]:
            click.echo(f"warning: {w['en']}", err=True)
    if result["missing_years"]:
        sys.exit(1)


# --- holidays ----------------------------------------------------------------------------------------

@cli.group()
def holiday():
    """The holiday table (days chinese_calendar does not cover yet)."""


@holiday.command("add")
@click.argument("day")
@click.option("--kind", default="holiday", help="holiday | workday (a make-up working day, 调休上班)")
@click.option("--name", required=True, help="e.g. 国庆节")
@click.option("--user", "username", required=True, help="an administrator")
@click.option("--to", "last", help="add every day from DAY to this day")
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def holiday_add(day, kind, name, username, last, as_json):
    """Add or change a day (or a range); open clocks it affects are recomputed and listed."""
    from engine.services import holidays
    first = _date(day, "day")
    end = _date(last, "to") or first
    if end < first:
        raise Invalid("--to is before DAY.", errors={"to": ["before day"]})
    ctx = _ctx()
    results = []
    current = first
    while current <= end:
        results.append(holidays.set_day(ctx, username=username, day=current, kind=kind, name=name))
        current += timedelta(days=1)
    if as_json:
        _echo_json(results)
        return
    for r in results:
        click.echo(f"{r['day']['day']} {r['day']['kind']} {r['day']['name']}")
        for c in r["recomputed"]:
            click.echo(f"  {c['case']} {c['rule']}: {c['due_before']} -> {c['due_after']}")


@holiday.command("remove")
@click.argument("day")
@click.option("--user", "username", required=True)
@domain_errors
def holiday_remove(day, username):
    """Remove a table entry; open clocks it affects are recomputed."""
    from engine.services import holidays
    result = holidays.remove_day(_ctx(), username=username, day=_date(day, "day"))
    click.echo(f"{result['day']['day']} removed; {len(result['recomputed'])} clock(s) recomputed")


@holiday.command("list")
@click.option("--year")
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def holiday_list(year, as_json):
    from engine.services import holidays
    rows = holidays.list_days(_ctx(), _int(year, "year", 1900) if year else None)
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        click.echo(f"{r['day']} {r['kind']:8} {r['name']}")


# --- clocks ---------------------------------------------------------------------------------------------

@cli.group()
def clock():
    """Statutory clocks of a case."""


@clock.command("show")
@click.argument("number")
@click.option("--lang", default="zh", type=click.Choice(["zh", "en"]))
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def clock_show(number, lang, as_json):
    """A case's clocks, each with its explanation."""
    from engine.services import clocks
    rows = clocks.show(_ctx(), number)
    if as_json:
        _echo_json(rows)
        return
    for c in rows:
        click.echo(f"{c['rule']:18} {c['state']:9} due {c['due_date']}  {c['label'][lang]}")
        for line in c["explanation"].get(lang, []):
            click.echo(f"    {line}")
        for w in c["warnings"]:
            click.echo(f"    warning: {w[lang]}")


@clock.command("pause")
@click.argument("number")
@click.option("--rule", required=True)
@click.option("--reason", required=True, help="a pause reason of the rule, e.g. appraisal")
@click.option("--evidence", help="reference of the supporting document (委托书 no., file)")
@click.option("--from", "first", help="first day not counted (default today)")
@click.option("--user", "username", required=True)
@domain_errors
def clock_pause(number, rule, reason, evidence, first, username):
    from engine.services import clocks
    view = clocks.pause(_ctx(), username=username, number=number, rule=rule, reason=reason, evidence=evidence,
                        first_day=_date(first, "from"))
    click.echo(f"{rule} paused since {view['paused_since']} ({reason})")


@clock.command("resume")
@click.argument("number")
@click.option("--rule", required=True)
@click.option("--on", "on", help="the day counting starts again (default today)")
@click.option("--evidence")
@click.option("--user", "username", required=True)
@domain_errors
def clock_resume(number, rule, on, evidence, username):
    from engine.services import clocks
    view = clocks.resume(_ctx(), username=username, number=number, rule=rule, on=_date(on, "on"),
                         evidence=evidence)
    click.echo(f"{rule} running again; due {view['due_date']}")


@clock.command("extend")
@click.argument("number")
@click.option("--rule", required=True)
@click.option("--days", required=True, help="how many units more")
@click.option("--reason", required=True)
@click.option("--user", "username", required=True)
@domain_errors
def clock_extend(number, rule, days, reason, username):
    """Request an extension (decided by the rule's approver role)."""
    from engine.services import clocks
    view = clocks.request_extension(_ctx(), username=username, number=number, rule=rule,
                                    length=_int(days, "days", 1), reason=reason)
    click.echo(f"extension request #{view['extension']['id']} waits for a decision")


@clock.command("decide")
@click.argument("extension_id")
@click.option("--approve/--refuse", required=True)
@click.option("--note", default="")
@click.option("--user", "username", required=True)
@domain_errors
def clock_decide(extension_id, approve, note, username):
    from engine.services import clocks
    view = clocks.decide_extension(_ctx(), username=username, extension_id=_int(extension_id, "extension_id", 1),
                                   approve=approve, note=note)
    click.echo(f"extension #{view['extension']['id']} {view['extension']['status']}; due {view['clock']['due_date']}")


# --- supervision ---------------------------------------------------------------------------------------

@cli.group()
def supervision():
    """Supervision (督办): dashboard, drill-down, orders."""


@supervision.command("dashboard")
@click.option("--user", "username", required=True)
@click.option("--unit")
@click.option("--pipeline")
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def supervision_dashboard(username, unit, pipeline, as_json):
    from engine.services import supervision as sv
    data = sv.dashboard(_ctx(), username=username, unit=unit, pipeline=pipeline)
    if as_json:
        _echo_json(data)
        return
    t = data["totals"]
    click.echo(f"overdue {t['overdue']}  at risk {t['at_risk']}  orders overdue {t['orders_overdue']}")
    for r in data["by_unit"]:
        click.echo(f"  {r['unit']:10} overdue {r['overdue']:4}  at risk {r['at_risk']:4}")
    for w in data["calendar_warnings"]:
        click.echo(f"warning: {w['en']}", err=True)


@supervision.command("list")
@click.option("--user", "username", required=True)
@click.option("--status", default="overdue", help="overdue | at_risk")
@click.option("--unit")
@click.option("--pipeline")
@click.option("--step")
@click.option("--bucket", help="age bucket: 1-3, 4-7, 8-30, >30")
@click.option("--export", "export_path", help="write .csv or .xlsx instead of printing")
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def supervision_list(username, status, unit, pipeline, step, bucket, export_path, as_json):
    from engine.services import supervision as sv
    rows = sv.drill_down(_ctx(), username=username, status=status, unit=unit, pipeline=pipeline, step=step,
                         bucket=bucket)
    if export_path:
        path = Path(export_path)
        if path.suffix not in (".csv", ".xlsx"):
            raise Invalid("--export must name a .csv or .xlsx file.", errors={"export": ["unknown type"]})
        path.write_bytes(sv.export_csv(rows) if path.suffix == ".csv" else sv.export_xlsx(rows))
        click.echo(f"{len(rows)} row(s) written to {path}")
    elif as_json:
        _echo_json(rows)
    else:
        for r in rows:
            click.echo(f"{r['case']:28} {r['unit']:10} {r['rule']:18} due {r['due_date']} (+{r['days_overdue']})")


@supervision.command("order")
@click.argument("number")
@click.option("--user", "username", required=True)
@click.option("--instruction", required=True)
@click.option("--reply-due", help="YYYY-MM-DD (default: 10 working days)")
@domain_errors
def supervision_order(number, username, instruction, reply_due):
    from engine.services import supervision as sv
    view = sv.issue_order(_ctx(), username=username, number=number, instruction=instruction,
                          reply_due=_date(reply_due, "reply_due"))
    click.echo(f"order #{view['id']} on {view['case']}; reply due {view['reply_due']}")


@supervision.command("reply")
@click.argument("order_id")
@click.option("--user", "username", required=True)
@click.option("--progress", required=True)
@click.option("--planned-date")
@domain_errors
def supervision_reply(order_id, username, progress, planned_date):
    from engine.services import supervision as sv
    view = sv.reply_order(_ctx(), username=username, order_id=_int(order_id, "order_id", 1), progress=progress,
                          planned_date=_date(planned_date, "planned_date"))
    click.echo(f"order #{view['id']} replied")


@supervision.command("orders")
@click.option("--user", "username", required=True)
@click.option("--status", help="open | replied | closed")
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def supervision_orders(username, status, as_json):
    """Supervision orders in the user's units, by reply deadline."""
    from engine.services import supervision as sv
    rows = sv.list_orders(_ctx(), username=username, status=status)
    if as_json:
        _echo_json(rows)
        return
    for o in rows:
        late = " OVERDUE" if o["overdue"] else ""
        click.echo(f"#{o['id']:<5} {o['case']:28} reply by {o['reply_due']} {o['status']}{late}  {o['instruction']}")


@cli.command("notifications")
@click.option("--user", "username", required=True)
@click.option("--unread", is_flag=True)
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def notifications_list(username, unread, as_json):
    """A user's in-app notifications, newest first."""
    from engine.services import notifications
    rows = notifications.list_for(_ctx(), username=username, unread_only=unread)
    if as_json:
        _echo_json(rows)
        return
    for n in rows:
        click.echo(f"{n['created_at'][:16]} {'  ' if n['read'] else '* '}{n['kind']:13} {n['subject']}")


# --- scheduler -------------------------------------------------------------------------------------------

@cli.group()
def scheduler():
    """The supervision scheduler (BPMN timers, warnings, breaches, escalation, digest)."""


@scheduler.command("run")
@click.option("--once", is_flag=True, help="catch up and run every job once, then exit")
@domain_errors
def scheduler_run(once):
    """Run the scheduler in the foreground; only the lease holder acts (see engine/jobs)."""
    from engine.jobs.runner import run_forever, run_once
    if once:
        _echo_json(run_once(_ctx()))
    else:
        run_forever(_ctx())


@scheduler.command("status")
@domain_errors
def scheduler_status():
    """Who holds the leader lease, and when each job last ran."""
    from engine.jobs.runner import status
    _echo_json(status(_ctx()))
