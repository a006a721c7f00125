"""`ipcase mediation …`: open disputes, the mediator roster, my disputes, caseload, absences, recusal.

Registered on the main `ipcase` group by engine/cli.py. The steps themselves are tasks:
`ipcase task list / show / complete` as for every pipeline.
"""
from __future__ import annotations

from datetime import date

import click

from engine.cli import _ctx, _echo_json, cli, domain_errors
from engine.errors import Invalid
from engine.services import cases, mediation_desk, mediation_roster


def _date(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid("{what} must be a date like 2026-03-02, not {value!r}.", errors={what: ["not a date"]},
                      what=what, value=value) from None


def _list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


@cli.group()
def mediation():
    """Mediation: disputes, the mediator roster, absences, recusal."""


@mediation.command("open")
@click.option("--unit", "unit_code", default="taian", show_default=True)
@click.option("--user", "username", required=True, help="the centre head or a mediator")
@click.option("--title", required=True)
@click.option("--ip-type", required=True)
@click.option("--applicant", required=True, help="申请人 name")
@click.option("--respondent", required=True, help="被申请人 name")
@click.option("--respondent-uscc")
@click.option("--source", default="party", show_default=True,
              type=click.Choice(["party", "enforcement", "court_assigned", "court_entrusted"]))
@click.option("--court-name")
@click.option("--court-case-number")
@click.option("--court-deadline", help="YYYY-MM-DD")
@click.option("--court-procedure", type=click.Choice(["ordinary", "simplified"]))
@click.option("--referring-case", help="the enforcement case referred (source enforcement)")
@click.option("--technical-field")
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def mediation_open(unit_code, username, title, ip_type, applicant, respondent, respondent_uscc, source, court_name,
                   court_case_number, court_deadline, court_procedure, referring_case, technical_field, as_json):
    """Open a mediation case (number kind 调); the centre registers it next."""
    details = {"source": source, "court_name": court_name, "court_case_number": court_case_number,
               "court_deadline": court_deadline, "court_procedure": court_procedure,
               "referring_case": referring_case, "technical_field": technical_field}
    fields = {"title": title, "ip_type": ip_type,
              "complainant": {"name": applicant, "kind": "enterprise"},
              "respondent": {"name": respondent, "kind": "enterprise", "uscc": respondent_uscc},
              "mediation": {k: v for k, v in details.items() if v}}
    view = cases.open_case(_ctx(), username=username, pipeline="mediation", unit_code=unit_code, fields=fields)
    if as_json:
        _echo_json(view)
    else:
        click.echo(f"{view['number']} opened; next: " + ", ".join(f"#{t['id']} {t['name']}" for t in view["open_tasks"]))


@mediation.command("disputes")
@click.option("--user", "username", required=True)
@click.option("--closed", is_flag=True, help="include closed disputes")
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def mediation_disputes(username, closed, as_json):
    """The disputes a mediator holds: next session, deadlines, open steps."""
    rows = mediation_desk.my_disputes(_ctx(), username=username, include_closed=closed)
    if as_json:
        _echo_json(rows)
        return
    for d in rows:
        steps = ", ".join(f"#{t['id']} {t['name']}" for t in d["open_tasks"]) or "-"
        click.echo(f"{d['number']}  {d['title']}  due {d['due_at'] or '-'}  steps: {steps}")


@mediation.command("show")
@click.argument("number")
@click.option("--user", "username", required=True)
@domain_errors
def mediation_show(number, username):
    """One dispute (its mediator or the centre head), as JSON."""
    _echo_json(mediation_desk.show_dispute(_ctx(), number=number, username=username))


@mediation.command("caseload")
@click.option("--user", "username", required=True, help="the centre head")
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def mediation_caseload(username, as_json):
    """Each roster mediator's running disputes, limit, absence and overdue steps."""
    rows = mediation_desk.caseload(_ctx(), username=username)
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        absent = f"  absent (substitute {r['substitute']})" if r["absent"] else ""
        click.echo(f"{r['username']}: {r['active']}/{r['max_active_cases']} active, "
                   f"{r['overdue_tasks']} overdue steps{absent}")


@mediation.command("roster")
@domain_errors
def mediation_roster_list():
    """The mediator roster, as JSON."""
    _echo_json(mediation_roster.list_roster(_ctx()))


@mediation.command("profile")
@click.argument("mediator")
@click.option("--user", "actor", required=True, help="the centre head or an administrator")
@click.option("--organisation", required=True)
@click.option("--expertise", required=True, help="comma-separated: patent,trademark,copyright,trade_secret,…")
@click.option("--fields", "technical_fields", help="technical fields, comma-separated")
@click.option("--languages", default="zh", show_default=True)
@click.option("--max-cases", default=5, show_default=True, type=int)
@domain_errors
def mediation_profile(mediator, actor, organisation, expertise, technical_fields, languages, max_cases):
    """Put a mediator on the roster or update their profile."""
    mediation_roster.save_profile(_ctx(), username=mediator, actor=actor, organisation=organisation,
                                  expertise=_list(expertise), technical_fields=_list(technical_fields),
                                  languages=_list(languages), max_active_cases=max_cases)
    click.echo(f"{mediator}: profile saved")


@mediation.command("relationship")
@click.argument("mediator")
@click.option("--user", "actor", required=True, help="the mediator, or the centre head for them")
@click.option("--kind", required=True, type=click.Choice(sorted(mediation_roster.RELATIONSHIP_KINDS)))
@click.option("--party", "party_name", required=True, help="company or person name")
@click.option("--uscc", "party_uscc", help="统一社会信用代码")
@click.option("--note")
@domain_errors
def mediation_relationship(mediator, actor, kind, party_name, party_uscc, note):
    """Declare a relationship that bars mediating for that party (conflict of interest)."""
    mediation_roster.declare_relationship(_ctx(), username=mediator, actor=actor, kind=kind, party_name=party_name,
                                          party_uscc=party_uscc, note=note)
    click.echo(f"{mediator}: {kind} {party_name} declared")


@mediation.command("absence")
@click.argument("mediator")
@click.option("--user", "actor", required=True)
@click.option("--from", "starts_on", required=True, help="YYYY-MM-DD")
@click.option("--to", "ends_on", required=True, help="YYYY-MM-DD")
@click.option("--substitute", help="the mediator who takes over the open steps")
@click.option("--reason")
@domain_errors
def mediation_absence(mediator, actor, starts_on, ends_on, substitute, reason):
    """Record an absence: no new assignments; open steps go to the substitute once it begins."""
    result = mediation_desk.record_absence(_ctx(), username=mediator, actor=actor,
                                           starts_on=_date(starts_on, "from"), ends_on=_date(ends_on, "to"),
                                           substitute=substitute, reason=reason)
    click.echo(f"{mediator}: absent {starts_on} to {ends_on}; {len(result['delegated_tasks'])} open steps delegated")


@mediation.command("recusal")
@click.argument("number")
@click.option("--user", "username", required=True)
@click.option("--party", "requested_by", required=True, help="the party asking the mediator to withdraw")
@click.option("--grounds", required=True)
@domain_errors
def mediation_recusal(number, username, requested_by, grounds):
    """Record a party's recusal request (回避); the centre head decides."""
    result = mediation_desk.request_recusal(_ctx(), number=number, username=username, requested_by=requested_by,
                                            grounds=grounds)
    click.echo(f"recusal request #{result['id']} recorded for {result['mediator']}")


@mediation.command("decide-recusal")
@click.argument("request_id", type=int)
@click.option("--user", "username", required=True, help="the centre head")
@click.option("--grant/--refuse", required=True)
@click.option("--reason", required=True)
@click.option("--replacement", help="the mediator who takes over (default: the top suggestion)")
@domain_errors
def mediation_decide_recusal(request_id, username, grant, reason, replacement):
    """Grant (the dispute moves to another mediator) or refuse a recusal request."""
    result = mediation_desk.decide_recusal(_ctx(), request_id=request_id, username=username,
                                           decision="granted" if grant else "refused", reason=reason,
                                           replacement=replacement)
    click.echo(f"recusal #{request_id} {result['decision']}"
               + (f"; now with {result['replacement']}" if result.get("replacement") else ""))
