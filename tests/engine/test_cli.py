"""The ipcase command line: the whole enforcement flow, JSON output, one-line errors."""
import json

import pytest
from click.testing import CliRunner

from web.cli import cli


@pytest.fixture
def ipcase(ctx):
    runner = CliRunner()
    env = {"DATABASE_URL": ctx.settings.database_url, "IPCASE_DB_SCHEMA": ctx.settings.database_schema or ""}

    def run(*args, input=None, ok=True):
        result = runner.invoke(cli, list(args), env=env, input=input, catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result
    return run


def test_a_case_from_lead_to_filing_on_the_command_line(ipcase):
    out = ipcase("case", "open", "--pipeline", "enforcement", "--unit", "daiyue", "--user", "daiyue.officer1",
                 "--title", "销售假冒商标白酒", "--ip-type", "trademark", "--respondent", "某某商贸",
                 "--respondent-uscc", "91370900MA3C0000XH", "--json")
    number = json.loads(out.stdout)["number"]
    [task] = json.loads(ipcase("task", "list", "--user", "daiyue.officer1", "--json").stdout)
    shown = json.loads(ipcase("task", "show", str(task["id"]), "--json").stdout)
    assert shown["case"] == number and shown["role"] == "officer"
    assert "source" in shown["form_schema"]["required"]
    lead = {"source": "complaint", "received_date": "2026-03-01", "reporter_real_name": False,
            "party_name": "某某商贸", "ip_type": "trademark", "conduct": "销售假冒白酒", "place": "岱岳区"}
    lead = {k: v for k, v in lead.items() if k in shown["form_schema"]["properties"]}
    out = ipcase("task", "complete", str(task["id"]), "--user", "daiyue.officer1", "--data", json.dumps(lead))
    assert "核查" in out.stdout
    case = json.loads(ipcase("case", "show", number, "--json").stdout)
    assert [t["step"] for t in case["open_tasks"]] == ["verify_lead"]
    assert [e["action"] for e in case["timeline"]] == ["case.opened", "task.completed"]


@pytest.mark.parametrize("args, reason", [
    (("task", "complete", "1", "--user", "daiyue.officer1", "--data", "{oops"), "not valid JSON"),
    (("task", "complete", "1", "--user", "daiyue.officer1", "--data", "[]"), "must be a JSON object"),
    (("task", "claim", "42", "--user", "daiyue.officer1"), "No task 42"),
    (("task", "list", "--user", "nobody"), "No active user named nobody"),
    (("case", "show", "X-1"), "No case numbered X-1"),
    (("case", "open", "--pipeline", "enforcement", "--unit", "daiyue", "--user", "daiyue.officer1",
      "--title", "t", "--ip-type", "design"), "ip_type"),
    (("user", "list", "--role", "wizard"), "Unknown or missing roles wizard"),
])
def test_bad_input_exits_non_zero_with_one_line(ipcase, args, reason):
    result = ipcase(*args, ok=False)
    assert result.exit_code == 1
    assert reason in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_users_are_listed_by_role_and_unit(ipcase):
    users = json.loads(ipcase("user", "list", "--role", "legal_reviewer", "--unit", "daiyue", "--json").stdout)
    assert [u["username"] for u in users] == ["daiyue.legal"]


def test_passwords_are_set_from_stdin_and_checked(ipcase, ctx):
    from engine.services import lookups
    from engine.services.users import password_matches
    ipcase("user", "passwd", "daiyue.officer1", "--password-stdin", input="a-new-secret\n")
    with ctx.uow() as uow:
        assert password_matches(lookups.user(uow.session, "daiyue.officer1"), "a-new-secret")
    assert "at least 8" in ipcase("user", "passwd", "daiyue.officer1", "--password-stdin",
                                  input="short\n", ok=False).stderr
