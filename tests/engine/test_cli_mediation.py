"""`ipcase mediation …` on the command line: open, roster, conflict refusal, my disputes, caseload."""
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from engine.services import mediation_demo as demo
from web.cli import cli


@pytest.fixture
def ipcase(ctx):
    runner = CliRunner()
    env = {"DATABASE_URL": ctx.settings.database_url, "IPCASE_DB_SCHEMA": ctx.settings.database_schema or ""}

    def run(*args, ok=True):
        result = runner.invoke(cli, list(args), env=env, catch_exceptions=False)
        assert (result.exit_code == 0) is ok, result.output
        return result
    return run


def test_a_dispute_on_the_command_line(ipcase, ctx):
    ipcase("mediation", "profile", "mediator1", "--user", "mediation.head", "--organisation", "调解委员会",
           "--expertise", "trademark,copyright", "--max-cases", "3")
    ipcase("mediation", "profile", "mediator2", "--user", "mediation.head", "--organisation", "律师事务所",
           "--expertise", "patent")
    assert [p["username"] for p in json.loads(ipcase("mediation", "roster").stdout)] == ["mediator1", "mediator2"]
    out = ipcase("mediation", "relationship", "mediator1", "--user", "mediator1", "--kind", "employer",
                 "--party", "某某商贸", "--uscc", "91370900MA3C0000XH")
    assert "employer" in out.stdout
    bad = ipcase("mediation", "relationship", "mediator1", "--user", "mediator1", "--kind", "employer",
                 "--party", "x", "--uscc", "123", ok=False)
    assert bad.exit_code == 1 and "unified social credit code" in bad.output

    out = ipcase("mediation", "open", "--user", "mediation.head", "--title", "商标许可纠纷", "--ip-type", "trademark",
                 "--applicant", "泰山酒业集团有限公司", "--respondent", "泰安市某某商贸有限公司",
                 "--respondent-uscc", "91370900MA3C0000XH", "--source", "court_assigned",
                 "--court-name", "泰安市中级人民法院", "--court-case-number", "（2026）鲁09民初1号", "--json")
    number = json.loads(out.stdout)["number"]
    assert number == "泰市监知调〔2026〕1号"
    demo.drive_mediation(ctx, number, {}, until="assign_mediator")
    [task] = [t for t in json.loads(ipcase("task", "list", "--user", "mediation.head", "--json").stdout)
              if t["case"] == number]
    refused = ipcase("task", "complete", str(task["id"]), "--user", "mediation.head", "--data",
                     json.dumps({"method": "designated", "mediator": "mediator1"}), ok=False)
    assert "mediator1 cannot mediate this dispute" in refused.output and "USCC" in refused.output
    ipcase("task", "complete", str(task["id"]), "--user", "mediation.head", "--data",
           json.dumps({"method": "designated", "mediator": "mediator2"}))
    out = ipcase("mediation", "disputes", "--user", "mediator2")
    assert number in out.stdout and "调解员接受或拒绝" in out.stdout
    assert ipcase("mediation", "disputes", "--user", "mediator1").stdout == ""
    rows = {r["username"]: r for r in json.loads(ipcase("mediation", "caseload", "--user", "mediation.head",
                                                        "--json").stdout)}
    assert rows["mediator2"]["active"] == 1 and rows["mediator1"]["active"] == 0
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the command line runs on the system clock
    span = ("--from", today.isoformat(), "--to", (today + timedelta(days=4)).isoformat())
    out = ipcase("mediation", "absence", "mediator2", "--user", "mediation.head", *span,
                 "--substitute", "mediator1", ok=False)
    assert "mediator1 cannot stand in" in out.output  # related to the respondent
    out = ipcase("mediation", "absence", "mediator2", "--user", "mediation.head", *span,
                 "--substitute", "mediation.head")
    assert "1 open steps delegated" in out.stdout
    assert number in ipcase("mediation", "disputes", "--user", "mediation.head").stdout
