"""The `ipcase` command line: everything the web does, scriptable.

Every command prints one line of reason and exits non-zero on bad input; `--json`
prints machine-readable output.
"""
from __future__ import annotations

import functools
import json
import sys

import click

from engine import migrate
from engine.context import build_context
from engine.errors import DomainError, Invalid
from engine.services import cases, demo, tasks, users
from engine.services.deploy import deploy_all


def _ctx():
    return build_context()


def domain_errors(fn):
    """Turn a DomainError into one line on stderr and exit status 1."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Invalid as err:
            details = "; ".join(f"{k}: {v}" for k, v in err.errors.items())
            click.echo(f"error: {err}" + (f" ({details})" if details else ""), err=True)
            sys.exit(1)
        except DomainError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(1)
    return wrapper


def _json_arg(value: str, what: str) -> dict:
    try:
        data = json.loads(value)
    except json.JSONDecodeError as err:
        raise Invalid("{what} is not valid JSON: {detail}", errors={what: [str(err)]}, what=what, detail=err.msg)
    if not isinstance(data, dict):
        raise Invalid("{what} must be a JSON object.", errors={what: ["not an object"]}, what=what)
    return data


def _echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@click.group()
def cli():
    """ipcase: IP enforcement, transfer and mediation case workflows."""


# --- database and workflows -------------------------------------------------------------

@cli.group()
def db():
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
@domain_errors
def db_upgrade(revision):
    """Migrate the schema, then deploy changed workflow files as new versions."""
    ctx = _ctx()
    migrate.upgrade(ctx.db, revision)
    for d in deploy_all(ctx):
        click.echo(f"{d.process_id}: version {d.version}" + (" (new)" if d.created else ""))


@db.command("downgrade")
@click.option("--revision", default="base", show_default=True)
def db_downgrade(revision):
    """Migrate the schema down (default: to an empty database)."""
    migrate.downgrade(_ctx().db, revision)


@cli.group()
def workflow():
    """Deployed workflow definitions."""


@workflow.command("deploy")
@domain_errors
def workflow_deploy():
    """Deploy every BPMN file of workflows/ that changed since its last version."""
    for d in deploy_all(_ctx()):
        click.echo(f"{d.process_id}: version {d.version}" + (" (new)" if d.created else " (unchanged)"))


# --- demo -----------------------------------------------------------------------------------

@cli.group("demo")
def demo_group():
    """Demonstration data."""


@demo_group.command("load")
@domain_errors
def demo_load():
    """Load Tai'an units, users of every role and cases in every state (once)."""
    summary = demo.load(_ctx())
    click.echo(summary)


# --- cases ------------------------------------------------------------------------------------

@cli.group()
def case():
    """Cases."""


@case.command("open")
@click.option("--pipeline", required=True, type=click.Choice(sorted(cases.PIPELINES)))
@click.option("--unit", "unit_code", required=True, help="unit code, e.g. daiyue")
@click.option("--user", "username", required=True, help="who opens the case")
@click.option("--title", required=True, help="案由 / short description")
@click.option("--ip-type", required=True)
@click.option("--right-number")
@click.option("--right-holder")
@click.option("--respondent", help="respondent name")
@click.option("--respondent-kind", default="enterprise", type=click.Choice(["person", "enterprise"]))
@click.option("--respondent-uscc", help="统一社会信用代码 of the respondent")
@click.option("--major", is_flag=True, help="a major case (重大案件)")
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def case_open(pipeline, unit_code, username, title, ip_type, right_number, right_holder, respondent,
              respondent_kind, respondent_uscc, major, as_json):
    """Open a case and start its workflow."""
    fields = {"title": title, "ip_type": ip_type, "is_major": major}
    fields.update({k: v for k, v in {"right_number": right_number, "right_holder": right_holder}.items() if v})
    if respondent:
        fields["respondent"] = {"name": respondent, "kind": respondent_kind, "uscc": respondent_uscc}
    view = cases.open_case(_ctx(), username=username, pipeline=pipeline, unit_code=unit_code, fields=fields)
    if as_json:
        _echo_json(view)
    else:
        task_ids = ", ".join(f"#{t['id']} {t['name']}" for t in view["open_tasks"])
        click.echo(f"{view['number']} opened; next: {task_ids}")


@case.command("show")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def case_show(number, as_json):
    """State, open tasks and timeline of a case (by any of its numbers)."""
    view = cases.show_case(_ctx(), number)
    if as_json:
        _echo_json(view)
        return
    click.echo(f"{view['number']}  {view['title']}  [{view['pipeline']} · {view['unit_name']} · {view['status']}]")
    for n in view["numbers"][1:]:
        click.echo(f"  also: {n['number']} ({n['kind']})")
    for t in view["open_tasks"]:
        click.echo(f"  open task #{t['id']} {t['name']} ({t['role']}) held by {t['assignee'] or '-'}")
    for e in view["timeline"]:
        click.echo(f"  {e['at'][:19]} {e['actor'] or 'system':12} {e['action']} {e['task'] or ''}")


# --- tasks ------------------------------------------------------------------------------------

@cli.group()
def task():
    """Human tasks."""


@task.command("list")
@click.option("--user", "username", required=True)
@click.option("--tab", default="all", type=click.Choice(tasks.TABS), show_default=True)
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def task_list(username, tab, as_json):
    """A user's inbox: their tasks and the unclaimed tasks of their roles and unit."""
    rows = tasks.list_tasks(_ctx(), username=username, tab=tab)
    if as_json:
        _echo_json(rows)
        return
    for t in rows:
        click.echo(f"#{t['id']:<6} {t['case']:<28} {t['name']:<12} {t['role']:<15} {t['assignee'] or '(unclaimed)'}")


@task.command("show")
@click.argument("task_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def task_show(task_id, as_json):
    """A task with its case, role and form (as JSON Schema)."""
    view = tasks.show_task(_ctx(), task_id)
    if as_json:
        _echo_json(view)
        return
    click.echo(f"#{view['id']} {view['name']} ({view['role']}) on {view['case']} [{view['state']}]")
    for name, prop in view["form_schema"]["properties"].items():
        required = "*" if name in view["form_schema"]["required"] else " "
        click.echo(f"  {required} {name}: {prop.get('title', '')} {prop.get('enum', '')}")


@task.command("claim")
@click.argument("task_id", type=int)
@click.option("--user", "username", required=True)
@domain_errors
def task_claim(task_id, username):
    """Take an unclaimed task of your role and unit."""
    view = tasks.claim(_ctx(), username=username, task_id=task_id)
    click.echo(f"#{view['id']} {view['name']} claimed by {view['assignee']}")


@task.command("unclaim")
@click.argument("task_id", type=int)
@click.option("--user", "username", required=True)
@domain_errors
def task_unclaim(task_id, username):
    """Give a task back to the group."""
    tasks.unclaim(_ctx(), username=username, task_id=task_id)
    click.echo(f"#{task_id} released")


@task.command("reassign")
@click.argument("task_id", type=int)
@click.option("--user", "username", required=True, help="the unit head or supervisor")
@click.option("--to", "to_username", required=True)
@click.option("--reason", required=True)
@domain_errors
def task_reassign(task_id, username, to_username, reason):
    """Hand a task to another suitable user."""
    view = tasks.reassign(_ctx(), username=username, task_id=task_id, to_username=to_username, reason=reason)
    click.echo(f"#{view['id']} now held by {view['assignee']}")


@task.command("complete")
@click.argument("task_id", type=int)
@click.option("--user", "username", required=True)
@click.option("--data", required=True, help='form data as a JSON object, e.g. \'{"decision": "file"}\'')
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def task_complete(task_id, username, data, as_json):
    """Submit a task's form and move the case on."""
    result = tasks.complete(_ctx(), username=username, task_id=task_id, data=_json_arg(data, "data"))
    if as_json:
        _echo_json(result)
        return
    nxt = ", ".join(f"#{t['id']} {t['name']}" for t in result["next_tasks"]) or "none"
    click.echo(f"#{task_id} completed; case {result['case']['number']} is {result['case']['status']}; next: {nxt}")


# --- users --------------------------------------------------------------------------------------

@cli.group()
def user():
    """Users and roles."""


@user.command("list")
@click.option("--role")
@click.option("--unit", "unit_code")
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def user_list(role, unit_code, as_json):
    """Users, optionally of one role and unit."""
    rows = users.list_users(_ctx(), role=role, unit_code=unit_code)
    if as_json:
        _echo_json(rows)
        return
    for u in rows:
        click.echo(f"{u['username']:<20} {u['full_name']:<10} {u['unit']:<10} {','.join(u['roles'])}")


@user.command("create")
@click.argument("username")
@click.option("--name", "full_name", required=True)
@click.option("--unit", "unit_code", required=True)
@click.option("--role", "roles", multiple=True, required=True)
@click.option("--password-stdin", is_flag=True, required=True, help="read the password from standard input")
@domain_errors
def user_create(username, full_name, unit_code, roles, password_stdin):
    """Create a user (the password is read from standard input)."""
    password = sys.stdin.readline().rstrip("\n")
    users.create_user(_ctx(), username=username, full_name=full_name, password=password,
                      unit_code=unit_code, roles=list(roles))
    click.echo(f"{username} created")


@user.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, required=True, help="read the password from standard input")
@domain_errors
def user_passwd(username, password_stdin):
    """Set or reset a user's password (read from standard input)."""
    users.set_password(_ctx(), username=username, password=sys.stdin.readline().rstrip("\n"))
    click.echo(f"password of {username} set")


from engine import cli_clocks  # noqa: E402,F401  (calendar, holiday, clock, supervision, scheduler)
from engine import cli_transfers  # noqa: E402,F401  (case transfer, case refer-mediation, transfer package)


from engine import cli_clocks  # noqa: E402,F401  (calendar, holiday, clock, supervision, scheduler)


from engine import cli_mediation  # noqa: E402,F401  (mediation open | disputes | caseload | roster | …)


from engine import cli_clocks  # noqa: E402,F401  (calendar, holiday, clock, supervision, scheduler)


def main() -> None:
    cli(prog_name="ipcase")
