"""Transfers through the engine services: to the police, between units, to mediation and back.

One case keeps one number, one timeline and one page while several workflow instances
(enforcement, transfer, mediation) run on it and talk through BPMN messages.
"""
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.errors import Invalid, NotFound
from engine.forms.definitions import FormRegistry, parse_form
from engine.models import AuditEvent, CaseNumber, HumanTask, TransferPackage, Unit, WorkflowInstance
from engine.runtime.stepper import WorkflowFailed
from engine.services import cases, definitions, evidence, lookups, messages, tasks, transfers
from engine.services.demo import drive

from .helpers import POLICE, PROPOSAL, complete, open_case, open_task, transfer_at_proposal

POLICE_NUMBER = "岱公（经）受案字〔2026〕118号"
RECEIPT = {"police_body": POLICE, "receipt_number": POLICE_NUMBER}


def steps(view) -> list[str]:
    return [t["step"] for t in view["open_tasks"]]


def deliveries(view) -> list[tuple]:
    return [(e["details"]["message"], e["details"]["from_process"], e["details"]["to_process"],
             e["details"]["started"]) for e in view["timeline"] if e["action"] == "message.delivered"]


def add_evidence(ctx, number) -> dict[str, str]:
    """Three files of the case; returns {filename: sha256}."""
    files = {"现场检查笔录.pdf": (b"%PDF-1.4 inspection record " * 40, "evidence"),
             "涉案商品照片.jpg": (bytes(range(256)) * 20, "evidence"),
             "鉴定意见书.pdf": (b"%PDF-1.4 appraisal: counterfeit " * 30, "appraisal_report")}
    for name, (content, kind) in files.items():
        evidence.add_file(ctx, username="daiyue.officer1", number=number, filename=name, content=content, kind=kind)
    return {name: hashlib.sha256(content).hexdigest() for name, (content, _) in files.items()}


# ------------------------------------------------------------------ criminal transfer
def test_enforcement_waits_while_the_transfer_process_runs_on_the_same_case(ctx):
    number = transfer_at_proposal(ctx)
    view = cases.show_case(ctx, number)
    assert steps(view) == ["propose_criminal_transfer"]  # the enforcement instance has no open task
    assert [(i["process_id"], i["status"]) for i in view["instances"]] == \
        [("enforcement", "running"), ("transfer", "running")]
    assert deliveries(view) == [("criminal_transfer", "enforcement", "transfer", True)]
    [delivered] = [e for e in view["timeline"] if e["action"] == "message.delivered"]
    assert delivered["details"]["payload"]["stage"] == "before_notice"
    assert view["status"] == "open" and view["number"] == number
    task = open_task(ctx, number, "propose_criminal_transfer")
    assert task["unit"] == "daiyue" and task["role"] == "officer"


def test_accepted_transfer_ends_the_case_with_the_police_number_and_the_package(ctx):
    number = open_case(ctx)["number"]
    hashes = add_evidence(ctx, number)
    drive(ctx, number, {}, until="approve_proposal")
    complete(ctx, number, "approve_proposal", "daiyue.head", decision="transfer")
    complete(ctx, number, "propose_criminal_transfer", "daiyue.officer1", **PROPOSAL)
    complete(ctx, number, "approve_criminal_transfer", "daiyue.head", decision="approve", opinion="同意移送")
    complete(ctx, number, "record_police_receipt", "daiyue.officer1", **RECEIPT)
    assert cases.show_case(ctx, POLICE_NUMBER)["number"] == number  # found by the police's number
    result = complete(ctx, number, "record_police_decision", "daiyue.officer2", decision="filed",
                      letter_number="岱公立字〔2026〕66号")
    assert result["case"]["status"] == "transferred_to_police"
    view = cases.show_case(ctx, number)
    assert view["status"] == "transferred_to_police" and view["closed_at"] and view["open_tasks"] == []
    assert [(i["process_id"], i["outcome"]) for i in view["instances"]] == \
        [("enforcement", "transferred_to_police"), ("transfer", "filed_by_police")]
    assert {"kind": "公安", "number": POLICE_NUMBER, "issued_by": POLICE} in view["numbers"]
    assert deliveries(view) == [("criminal_transfer", "enforcement", "transfer", True),
                                ("criminal_transfer_result", "transfer", "enforcement", False)]
    # one timeline: both instances' steps in order
    done = [e["details"]["step"] for e in view["timeline"] if e["action"] == "task.completed"]
    assert done[-5:] == ["approve_proposal", "propose_criminal_transfer", "approve_criminal_transfer",
                         "record_police_receipt", "record_police_decision"]

    package = transfers.latest_package(ctx, number)
    assert package["recipient"] == POLICE
    zip_bytes = Path(package["zip"]).read_bytes()
    assert hashlib.sha256(zip_bytes).hexdigest() == package["zip_sha256"]
    archive = zipfile.ZipFile(io.BytesIO(zip_bytes))
    manifest = json.loads(archive.read("manifest.json"))
    in_zip = {Path(m["name"]).name.split("_", 1)[1]: m for m in manifest["files"] if m["name"].startswith("evidence/")}
    assert {name: m["sha256"] for name, m in in_zip.items()} == hashes
    for entry in manifest["files"]:  # every entry is there and matches its hash
        assert hashlib.sha256(archive.read(entry["name"])).hexdigest() == entry["sha256"]
    pdf = archive.read("移送书及案件材料.pdf")
    assert pdf.startswith(b"%PDF") and pdf == Path(package["pdf"]).read_bytes()
    assert hashlib.sha256(pdf).hexdigest() == package["pdf_sha256"]
    assert in_zip["鉴定意见书.pdf"]["kind"] == "appraisal_report"


def test_the_package_pdf_is_rendered_with_a_cjk_font(ctx):
    from engine.services import packages
    number = open_case(ctx)["number"]
    hashes = add_evidence(ctx, number)
    with ctx.uow() as uow:
        case = lookups.case(uow.session, number)
        files = evidence.files_of(uow.session, case)
        assert {f.sha256 for f in files} == set(hashes.values())
        pdf = packages.render_pdf(case, {"criminal_transfer_proposal": PROPOSAL}, {"facts": "事实"}, files,
                                  ctx.clock.now())
    assert pdf.startswith(b"%PDF") and len(pdf) > 2000
    assert b"WenQuanYi" in pdf or b"STSong" in pdf  # a CJK font, embedded when Debian's is installed
    label = packages._option_label(ctx.settings.workflows_dir, "investigation_report", "proposed_outcome", "transfer")
    assert label and label != "transfer"  # the report shows the form's words, not option codes


def test_head_refuses_the_transfer_and_the_penalty_procedure_resumes_at_the_decision(ctx):
    number = transfer_at_proposal(ctx)
    complete(ctx, number, "propose_criminal_transfer", "daiyue.officer1", **PROPOSAL)
    complete(ctx, number, "approve_criminal_transfer", "daiyue.head", decision="refuse", opinion="证据不足")
    view = cases.show_case(ctx, number)
    assert steps(view) == ["approve_proposal"]  # the head decides the administrative outcome again
    assert view["status"] == "open" and view["closed_at"] is None
    assert [(i["process_id"], i["status"], i["outcome"]) for i in view["instances"]] == \
        [("enforcement", "running", None), ("transfer", "completed", "transfer_refused")]
    with ctx.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(TransferPackage)) == 0
    [result] = [e for e in view["timeline"] if e["details"] and e["details"].get("message") == "criminal_transfer_result"]
    assert result["details"]["payload"] == {"outcome": "refused", "reasons": "证据不足"}
    assert drive(ctx, number, {"approve_proposal": {"decision": "penalty"}})["status"] == "closed"


def test_not_filed_after_the_defence_resumes_at_the_penalty_decision(ctx):
    number = open_case(ctx)["number"]
    drive(ctx, number, {}, until="decide_penalty")
    complete(ctx, number, "decide_penalty", "daiyue.head", decision="transfer")
    complete(ctx, number, "propose_criminal_transfer", "daiyue.officer1", **PROPOSAL)
    complete(ctx, number, "approve_criminal_transfer", "daiyue.head", decision="approve")
    complete(ctx, number, "record_police_receipt", "daiyue.officer1", **RECEIPT)
    complete(ctx, number, "record_police_decision", "daiyue.officer1", decision="not_filed")
    complete(ctx, number, "consider_reconsideration", "daiyue.head", request="no", reasons="同意不立案理由")
    view = cases.show_case(ctx, number)
    assert steps(view) == ["decide_penalty"]
    assert view["instances"][1]["outcome"] == "not_filed_by_police"
    assert view["status"] == "open"
    assert drive(ctx, number, {"decide_penalty": {"decision": "penalty"}})["status"] == "closed"


def test_reconsideration_and_procuratorate_supervision_lead_to_filing(ctx):
    number = transfer_at_proposal(ctx)
    complete(ctx, number, "propose_criminal_transfer", "daiyue.officer1", **PROPOSAL)
    complete(ctx, number, "approve_criminal_transfer", "daiyue.head", decision="approve")
    complete(ctx, number, "record_police_receipt", "daiyue.officer1", **RECEIPT)
    complete(ctx, number, "record_police_decision", "daiyue.officer1", decision="not_filed")
    complete(ctx, number, "consider_reconsideration", "daiyue.head", request="yes")
    complete(ctx, number, "record_reconsideration", "daiyue.officer1", result="upheld_supervision")
    complete(ctx, number, "record_supervision", "daiyue.officer1", procuratorate="泰安市岱岳区人民检察院",
             result="filed")
    view = cases.show_case(ctx, number)
    assert view["status"] == "transferred_to_police"
    assert [i["outcome"] for i in view["instances"]] == ["transferred_to_police", "filed_by_police"]


# ------------------------------------------------------------------ jurisdiction transfer
def start_jurisdiction_transfer(ctx, receiving="taishan"):
    number = open_case(ctx)["number"]
    drive(ctx, number, {}, until="investigate")
    view = transfers.request_jurisdiction_transfer(ctx, username="daiyue.officer1", number=number)
    [proposal] = [t for t in view["open_tasks"] if t["step"] == "propose_jurisdiction_transfer"]
    assert proposal["assignee"] == "daiyue.officer1"
    complete(ctx, number, "propose_jurisdiction_transfer", "daiyue.officer1", receiving_unit=receiving,
             reasons="违法行为发生地在泰山区")
    complete(ctx, number, "approve_jurisdiction_transfer", "daiyue.head", decision="approve")
    return number


def task_unit(ctx, task_id) -> str:
    """The unit whose inbox holds the task (the task view shows the case's unit)."""
    with ctx.uow() as uow:
        return uow.session.get(Unit, lookups.task(uow.session, task_id).unit_id).code


def inbox(ctx, username) -> list[tuple[str, str]]:
    return [(t["case"], t["step"]) for t in tasks.list_tasks(ctx, username=username)]


def test_accepted_jurisdiction_transfer_moves_the_case_and_its_tasks(ctx):
    number = start_jurisdiction_transfer(ctx)
    acceptance = open_task(ctx, number, "accept_jurisdiction_transfer")
    assert acceptance["unit"] == "daiyue"  # the case is still daiyue's ...
    assert task_unit(ctx, acceptance["id"]) == "taishan"  # ... the receiver decides
    assert (number, "accept_jurisdiction_transfer") in inbox(ctx, "taishan.head")
    assert (number, "accept_jurisdiction_transfer") not in inbox(ctx, "daiyue.head")
    with pytest.raises(NotFound):  # the sending head cannot accept on the receiver's behalf
        complete(ctx, number, "accept_jurisdiction_transfer", "daiyue.head", decision="accept")
    assert (number, "investigate") in inbox(ctx, "daiyue.officer2")
    complete(ctx, number, "accept_jurisdiction_transfer", "taishan.head", decision="accept", reasons="同意接收")
    view = cases.show_case(ctx, number)
    assert view["unit"] == "taishan" and view["number"] == number
    assert (number, "investigate") in inbox(ctx, "taishan.officer1")
    assert (number, "investigate") not in inbox(ctx, "daiyue.officer1")
    [investigate] = [t for t in view["open_tasks"] if t["step"] == "investigate"]
    assert investigate["assignee"] is None
    [moved] = [e for e in view["timeline"] if e["action"] == "case.unit_changed"]
    assert (moved["before"], moved["after"], moved["details"]) == \
        ({"unit": "daiyue"}, {"unit": "taishan"}, {"tasks_moved": 1})
    assert [(i["process_id"], i["outcome"]) for i in view["instances"]] == \
        [("enforcement", None), ("transfer", "jurisdiction_transferred")]
    # the new unit carries on; its numbers are issued by its own prefix
    final = drive(ctx, number, {})
    assert final["status"] == "closed" and final["unit"] == "taishan"
    assert cases.show_case(ctx, number, viewer="taishan.officer1")["number"] == number


def test_refused_jurisdiction_transfer_goes_to_the_city_bureau_which_designates(ctx):
    number = start_jurisdiction_transfer(ctx)
    complete(ctx, number, "accept_jurisdiction_transfer", "taishan.head", decision="refuse",
             reasons="违法行为发生地不在本区")
    designation = open_task(ctx, number, "designate_unit")
    assert designation["role"] == "unit_head"
    assert (number, "designate_unit") in inbox(ctx, "city.head")
    assert cases.show_case(ctx, number)["unit"] == "daiyue"  # nothing moved yet
    complete(ctx, number, "designate_unit", "city.head", designated_unit="xintai", reasons="新泰市先行发现")
    view = cases.show_case(ctx, number)
    assert view["unit"] == "xintai" and steps(view) == ["investigate"]
    assert (number, "investigate") in inbox(ctx, "xintai.officer1")
    assert view["instances"][1]["outcome"] == "jurisdiction_designated"


def test_the_sending_head_can_stop_a_jurisdiction_transfer(ctx):
    number = open_case(ctx)["number"]
    drive(ctx, number, {}, until="investigate")
    transfers.request_jurisdiction_transfer(ctx, username="daiyue.officer1", number=number)
    complete(ctx, number, "propose_jurisdiction_transfer", "daiyue.officer1", receiving_unit="taishan")
    complete(ctx, number, "approve_jurisdiction_transfer", "daiyue.head", decision="refuse")
    view = cases.show_case(ctx, number)
    assert view["unit"] == "daiyue" and steps(view) == ["investigate"]
    assert view["instances"][1]["outcome"] == "jurisdiction_transfer_withdrawn"


def _snapshot(ctx) -> tuple:
    with ctx.uow() as uow:
        s = uow.session
        return (s.scalar(select(func.count()).select_from(AuditEvent)),
                s.scalar(select(func.count()).select_from(WorkflowInstance)),
                tuple(s.scalars(select(HumanTask.state).order_by(HumanTask.id))))


def test_an_unknown_receiving_unit_fails_the_step_and_changes_nothing(ctx):
    number = open_case(ctx)["number"]
    transfers.request_jurisdiction_transfer(ctx, username="daiyue.officer1", number=number)
    before = _snapshot(ctx)
    for unit, reason in (("atlantis", "no unit with code 'atlantis'"), ("daiyue", "already handled by daiyue")):
        with pytest.raises(WorkflowFailed, match=reason):
            complete(ctx, number, "propose_jurisdiction_transfer", "daiyue.officer1", receiving_unit=unit)
        assert _snapshot(ctx) == before


def test_only_officers_of_the_handling_unit_start_transfers(ctx):
    number = open_case(ctx)["number"]
    with pytest.raises(Invalid, match="not an officer"):
        transfers.request_jurisdiction_transfer(ctx, username="daiyue.head", number=number)
    with pytest.raises(Exception, match="No case numbered"):  # out of scope: does not exist for them
        transfers.refer_to_mediation(ctx, username="taishan.officer1", number=number)


# ------------------------------------------------------------------ messages
def test_a_message_nobody_takes_fails_cleanly(ctx):
    number = open_case(ctx)["number"]
    before = _snapshot(ctx)
    with pytest.raises(WorkflowFailed, match="nowhere to go"):
        with ctx.uow() as uow:
            case = lookups.case(uow.session, number)
            messages.post(ctx, uow.session, case, "no_such_message", {}, ctx.clock.now(), None)
            uow.commit()
    assert _snapshot(ctx) == before


# ------------------------------------------------------------------ mediation
STANDIN = Path(__file__).parent / "data" / "mediation_standin.bpmn"
STANDIN_FORM = {"id": "standin_mediation_outcome", "title": {"zh": "调解结果", "en": "Mediation outcome"},
                "fields": [{"name": "outcome", "type": "select", "required": True, "label": {"zh": "结果", "en": "Outcome"},
                            "options": [{"value": "agreement", "label": {"zh": "达成协议", "en": "Agreement"}},
                                        {"value": "failed", "label": {"zh": "调解不成", "en": "Failed"}}]}]}


@pytest.fixture
def mediation_standin(ctx):
    """A tiny `mediation` process (message start `mediation_referral`, result back as
    `mediation_result`) deployed as the newest version: the agreed interface of issue 6's diagram."""
    ctx.forms = FormRegistry({**{i: ctx.forms.get(i) for i in ctx.forms.ids()},
                              STANDIN_FORM["id"]: parse_form(STANDIN_FORM)})
    with ctx.uow() as uow:
        definitions.deploy(uow.session, ctx.forms, STANDIN.read_bytes(), "mediation", STANDIN.name, ctx.clock.now())
        uow.commit()
    return ctx


@pytest.mark.parametrize("outcome", ["agreement", "failed"])
def test_civil_part_goes_to_mediation_and_the_outcome_comes_back_while_the_penalty_goes_on(mediation_standin, outcome):
    ctx = mediation_standin
    number = open_case(ctx)["number"]
    drive(ctx, number, {}, until="investigate")
    view = transfers.refer_to_mediation(ctx, username="daiyue.officer1", number=number)
    assert sorted(steps(view)) == ["investigate", "refer_to_mediation"]
    complete(ctx, number, "refer_to_mediation", "daiyue.officer1", requested_by="right_holder", claim="50000.00",
             dispute="赔偿数额争议")
    view = cases.show_case(ctx, number)
    assert sorted(steps(view)) == ["investigate", "record_mediation_outcome"]
    mediation_task = open_task(ctx, number, "record_mediation_outcome")
    assert mediation_task["role"] == "mediation_head"
    assert task_unit(ctx, mediation_task["id"]) == "taian"  # the city's mediation centre (unit `superior`)
    assert (number, "record_mediation_outcome") in inbox(ctx, "mediation.head")
    complete(ctx, number, "investigate", "daiyue.officer1")  # the penalty track goes on meanwhile
    complete(ctx, number, "record_mediation_outcome", "mediation.head", outcome=outcome)
    view = cases.show_case(ctx, number)
    assert steps(view) == ["write_report"]
    assert [(i["process_id"], i["outcome"]) for i in view["instances"]] == \
        [("enforcement", None), ("transfer", "mediation_concluded"), ("mediation", f"mediation_{outcome}")]
    assert deliveries(view) == [("civil_referral", None, "transfer", True),
                                ("mediation_referral", "transfer", "mediation", True),
                                ("mediation_result", "mediation", "transfer", False)]
    assert view["mediation"] == [{"outcome": outcome, "case": number}]


# ------------------------------------------------------------------ one case history
def test_the_case_page_shows_every_instance_and_one_timeline(ctx):
    number = transfer_at_proposal(ctx)
    complete(ctx, number, "propose_criminal_transfer", "daiyue.officer1", **PROPOSAL)
    complete(ctx, number, "approve_criminal_transfer", "daiyue.head", decision="refuse", opinion="证据不足")
    view = cases.show_case(ctx, number, viewer="daiyue.head")
    assert [i["process_id"] for i in view["instances"]] == ["enforcement", "transfer"]
    assert view["transfers"] == [{"kind": "criminal", "status": "completed", "outcome": "transfer_refused",
                                  "started_at": view["instances"][1]["started_at"]}]
    assert view["transfer_packages"] == [] and view["mediation"] == []
    times = [e["at"] for e in view["timeline"]]
    assert times == sorted(times)
    processes = {e["details"]["step"]: e for e in view["timeline"] if e["action"] == "task.completed"}
    assert {"register_lead", "approve_proposal", "propose_criminal_transfer", "approve_criminal_transfer"} <= set(processes)
    with ctx.uow() as uow:  # every event is the case's: one case id across the instances
        case_ids = set(uow.session.scalars(select(AuditEvent.case_id).where(AuditEvent.case_id.is_not(None))))
        numbers = uow.session.scalar(select(func.count()).select_from(CaseNumber))
    assert len(case_ids) == 1 and numbers == 2  # registration and filing numbers


# ------------------------------------------------------------------ demo data and command line
def test_the_demo_transfer_cases_reach_their_states(ctx):
    from engine.services.demo import run_scenario
    from engine.services.demo_cases import SCENARIOS
    transfer_scenarios = [s for s in SCENARIOS if "移送" in s.title]
    states = {s.title: run_scenario(ctx, s, opener=f"{s.unit}.officer1") for s in transfer_scenarios}
    filed, waiting, refused = states.values()
    assert filed["status"] == "transferred_to_police"
    assert any(n["kind"] == "公安" for n in filed["numbers"]) and filed["transfer_packages"]
    assert waiting["status"] == "open" and steps(waiting) == ["record_police_decision"]
    assert refused["status"] == "open" and steps(refused) == ["issue_notice"]
    assert refused["transfers"][0]["outcome"] == "transfer_refused"


def test_transfers_on_the_command_line(ctx, tmp_path):
    from click.testing import CliRunner
    from web.cli import cli
    env = {"DATABASE_URL": ctx.settings.database_url, "IPCASE_DB_SCHEMA": ctx.settings.database_schema or "",
           "IPCASE_UPLOAD_DIR": str(ctx.settings.upload_dir)}

    def ipcase(*args, ok=True):
        result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
        assert (result.exit_code == 0) is ok, result.output
        return result

    number = open_case(ctx)["number"]
    hashes = add_evidence(ctx, number)
    assert "has no transfer package" in ipcase("transfer", "package", number, ok=False).stderr
    drive(ctx, number, {"approve_proposal": {"decision": "transfer"}, "propose_criminal_transfer": PROPOSAL},
          until="record_police_receipt")
    out = json.loads(ipcase("transfer", "package", number, "--out", str(tmp_path / "out"), "--json").stdout)
    assert Path(out["zip"]) == tmp_path / "out" / "移送材料.zip"
    assert hashlib.sha256(Path(out["zip"]).read_bytes()).hexdigest() == out["zip_sha256"]
    assert {m["sha256"] for m in out["manifest"][1:]} == set(hashes.values())

    other = open_case(ctx)["number"]
    result = ipcase("case", "transfer", other, "--user", "daiyue.officer1", "--to", "taishan",
                    "--reason", "违法行为发生地在泰山区")
    assert "移送管辖审批" in result.stdout
    bad = ipcase("case", "transfer", other, "--user", "daiyue.officer1", "--to", "atlantis", "--reason", "x", ok=False)
    assert "No unit with code atlantis" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    assert "already handled" in ipcase("case", "transfer", other, "--user", "daiyue.officer1", "--to", "daiyue",
                                       "--reason", "x", ok=False).stderr
    assert "referral started" in ipcase("case", "refer-mediation", other, "--user", "daiyue.officer2").stdout


# ------------------------------------------------------------------ clocks across a transfer
def test_the_case_clock_is_paused_while_the_transfer_runs_and_resumes_after_a_refusal(ctx, clock):
    from datetime import date, timedelta

    from engine.models import CaseClock

    def decide_case():
        with ctx.uow() as uow:
            row = uow.session.scalar(select(CaseClock).where(CaseClock.rule == "decide_case"))
            return row.state, row.due_date, row.pause_reason

    number = open_case(ctx)["number"]
    drive(ctx, number, {}, until="approve_proposal")
    state, due, _ = decide_case()
    assert state == "running"
    clock.advance(timedelta(days=1))  # the start day is never counted: pause from the day after
    complete(ctx, number, "approve_proposal", "daiyue.head", decision="transfer")
    assert decide_case()[0::2] == ("paused", "transfer")
    clock.advance(timedelta(days=5))
    complete(ctx, number, "propose_criminal_transfer", "daiyue.officer1", **PROPOSAL)
    complete(ctx, number, "approve_criminal_transfer", "daiyue.head", decision="refuse", opinion="证据不足")
    state, resumed_due, reason = decide_case()
    assert (state, reason) == ("running", None)
    # 90 CD from 2 March end on Sunday 31 May, so on Monday 1 June; the five days with the
    # transfer (3-7 March) are not counted: Friday 5 June.
    assert (due, resumed_due) == (date(2026, 6, 1), date(2026, 6, 5))
    actions = [e["action"] for e in cases.show_case(ctx, number)["timeline"]]
    assert actions.count("clock.paused") == 1 and actions.count("clock.resumed") == 1


def test_waiting_for_the_police_is_a_clock_with_a_warning(ctx):
    from datetime import date

    from engine.models import CaseClock
    number = transfer_at_proposal(ctx)
    complete(ctx, number, "propose_criminal_transfer", "daiyue.officer1", **PROPOSAL)
    complete(ctx, number, "approve_criminal_transfer", "daiyue.head", decision="approve")
    complete(ctx, number, "record_police_receipt", "daiyue.officer1", **RECEIPT)
    with ctx.uow() as uow:
        police = uow.session.scalar(select(CaseClock).where(CaseClock.rule == "police_filing_decision"))
        state, due_date, due_at, warn_at = police.state, police.due_date, police.due_at, police.warn_at
    assert (state, due_date) == ("running", date(2026, 3, 5))  # 3 CD from Monday 2 March (TR art. 8)
    assert warn_at is not None and warn_at < due_at
    assert open_task(ctx, number, "record_police_decision")["due_at"] == due_at.isoformat()
    complete(ctx, number, "record_police_decision", "daiyue.officer1", decision="filed")
    with ctx.uow() as uow:
        assert uow.session.scalar(select(CaseClock.state).where(CaseClock.rule == "police_filing_decision")) == "met"
