"""`ipcase case transfer | case refer-mediation | transfer package`: moving a case on.

Registered on the main `ipcase` group by engine/cli.py.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import click

from engine.cli import _ctx, _echo_json, case, cli, domain_errors
from engine.services import transfers


@case.command("transfer")
@click.argument("number")
@click.option("--user", "username", required=True, help="an officer of the unit handling the case")
@click.option("--to", "to_unit", required=True, help="code of the unit that should handle it, e.g. taishan")
@click.option("--reason", required=True, help="why the case belongs there (移送理由)")
@click.option("--ground", default="place_of_violation", show_default=True,
              type=click.Choice(["place_of_violation", "filed_first_elsewhere", "level"]))
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def case_transfer(number, username, to_unit, reason, ground, as_json):
    """Propose a jurisdiction transfer (移送管辖); the unit head approves it next."""
    result = transfers.propose_jurisdiction_transfer(_ctx(), username=username, number=number, to_unit=to_unit,
                                                     reasons=reason, ground=ground)
    if as_json:
        _echo_json(result)
        return
    nxt = ", ".join(f"#{t['id']} {t['name']}" for t in result["next_tasks"]) or "none"
    click.echo(f"{result['case']['number']}: transfer to {to_unit} proposed; next: {nxt}")


@case.command("refer-mediation")
@click.argument("number")
@click.option("--user", "username", required=True, help="an officer of the unit handling the case")
@domain_errors
def case_refer_mediation(number, username):
    """Refer the case's civil compensation dispute to mediation; the penalty procedure goes on."""
    view = transfers.refer_to_mediation(_ctx(), username=username, number=number)
    [task] = [t for t in view["open_tasks"] if t["step"] == "refer_to_mediation" and t["assignee"] == username]
    click.echo(f"{view['number']}: referral started; fill in task #{task['id']} {task['name']}")


@cli.group("transfer")
def transfer_group():
    """Transfers of cases to other bodies."""


@transfer_group.command("package")
@click.argument("number")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="copy the PDF and the ZIP into this directory")
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def transfer_package(number, out_dir, as_json):
    """The newest transfer package of a case (移送材料): PDF, ZIP and the SHA-256 of every file."""
    package = transfers.latest_package(_ctx(), number)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        for key, name in (("pdf", "移送材料.pdf"), ("zip", "移送材料.zip")):
            package[key] = str(shutil.copyfile(package[key], out_dir / name))
    if as_json:
        _echo_json(package)
        return
    click.echo(f"package #{package['id']} for {package['recipient'] or '-'} ({package['created_at'][:10]})")
    click.echo(f"  {package['pdf']}  sha256 {package['pdf_sha256']}")
    click.echo(f"  {package['zip']}  sha256 {package['zip_sha256']}")
    for entry in package["manifest"]:
        click.echo(f"    {entry['sha256']}  {entry['name']}")
