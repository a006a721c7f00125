"""The case page by role and scope, its diagram, files (upload limits, type sniffing, scoped downloads)."""
import hashlib
import io
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import select

from engine.models import AuditEvent, EvidenceFile
from engine.services import cases
from tests.engine.services.helpers import PROPOSAL, complete, open_task, transfer_at_proposal

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63000100"
                    "00050001") + b"\x00" * 16
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


@pytest.mark.parametrize("user, status", [
    ("daiyue.officer1", 200), ("daiyue.officer2", 200), ("daiyue.legal", 200), ("daiyue.head", 200),
    ("daiyue.supervisor", 200), ("city.supervisor", 200), ("admin", 200),
    ("taishan.officer1", 404), ("taishan.legal", 404), ("taishan.head", 404), ("taishan.supervisor", 404),
    ("city.officer", 404), ("mediator1", 404),
])
def test_case_page_by_role_and_scope(browser, case_at, ctx, user, status):
    number = case_at("verify_lead")
    b = browser(user)
    response = b.get(f"/cases/{quote(number)}")
    assert response.status_code == status
    diagram = b.get(f"/cases/{quote(number)}/diagram/1.bpmn")
    assert diagram.status_code == status
    if status == 404:
        page = response.get_data(as_text=True)
        assert "泰安市某某商贸有限公司" not in page  # nothing of the case leaks
        with ctx.uow() as uow:
            denied = [e.details["number"] for e in uow.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "access.denied"))]
        assert denied == [number, number]


def test_case_page_shows_header_tasks_timeline_files_clocks_and_diagram(browser, case_at, ctx):
    number = case_at("decide_filing")
    page = browser("daiyue.head").get(f"/cases/{quote(number)}").get_data(as_text=True)
    for text in (number, "行政执法", "岱岳区市场监督管理局", "办理中", "泰安市某某商贸有限公司", "91370900MA3C0000XH",
                 "商标", "第1234567号", "立案审批", "（未认领）", "办理记录", "登记了案件", "办结了",
                 "文书与证据", "办案期限", "办案流程"):
        assert text in page, text
    canvas = re.search(r'class="bpmn-canvas" data-xml="([^"]+)"\s+data-completed="([^"]+)" data-current="([^"]+)"',
                       page)
    assert canvas.group(1) == f"/cases/{quote(number)}/diagram/1.bpmn"
    assert "register_lead" in canvas.group(2) and "verify_lead" in canvas.group(2)
    assert canvas.group(3) == "[&#34;decide_filing&#34;]"
    assert "bpmn-navigated-viewer.production.min.js" in page


def test_timeline_shows_the_form_data_diff_of_a_step_done_twice(browser, case_at, ctx):
    number = case_at("approve_proposal", legal_review=[{"opinion": "return", "opinion_text": "证据不足"},
                                                       {"opinion": "agree", "opinion_text": "同意"}])
    page = browser("daiyue.head").get(f"/cases/{quote(number)}").get_data(as_text=True)
    diff = re.findall(r'<td>([^<]+)</td><td class="before">([^<]*)</td><td class="after">([^<]*)</td>', page)
    assert ("审核意见", "退回补充调查", "同意") in diff and ("审核意见说明", "证据不足", "同意") in diff


def test_any_number_of_the_case_finds_it_and_the_cli_path_points_here(browser, case_at, ctx):
    number = case_at("investigate")
    view = cases.show_case(ctx, number)
    filing = next(n["number"] for n in view["numbers"] if n["kind"] == "立")
    assert view["path"] == "/cases/" + quote(number, safe="")
    b = browser("daiyue.officer1")
    assert b.get(view["path"]).status_code == 200
    assert number in b.get(f"/cases/{quote(filing)}").get_data(as_text=True)
    assert b.get("/cases/" + quote("不存在的编号")).status_code == 404


def test_not_found_answers_json_when_asked(browser):
    response = browser("daiyue.officer1").get("/cases/nope", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.json["error"] == "not_found"
    assert response.json["message"] == "没有编号为 nope 的案件。"


def _upload(b, number, name, content, **extra):
    return b.post(f"/cases/{quote(number)}/files", {"file": (io.BytesIO(content), name), **extra},
                  content_type="multipart/form-data")


def test_upload_records_hash_size_type_uploader_and_lists_the_file(browser, case_at, ctx, web_ctx):
    number = case_at("investigate")
    b = browser("daiyue.officer1")
    response = _upload(b, number, "现场照片.png", PNG, description="仓库现场")
    assert response.status_code == 303
    page = b.get(response.headers["Location"]).get_data(as_text=True)
    assert "已添加 1 个文件" in page and "现场照片.png" in page and "仓库现场" in page and "image/png" in page
    with ctx.uow() as uow:
        row = uow.session.scalars(select(EvidenceFile)).one()
        uow.session.expunge(row)
    assert (row.sha256, row.size, row.media_type) == (hashlib.sha256(PNG).hexdigest(), len(PNG), "image/png")
    assert row.uploaded_by_id is not None
    stored = Path(web_ctx.settings.upload_dir) / row.path
    assert stored.read_bytes() == PNG and "web" not in stored.relative_to(web_ctx.settings.upload_dir).parts
    download = b.get(f"/files/{row.id}")
    assert download.status_code == 200 and download.data == PNG
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_type_is_judged_by_content_not_by_name(browser, case_at):
    number = case_at("investigate")
    b = browser("daiyue.officer1")
    response = _upload(b, number, "询问笔录.pdf", EXE)
    page = b.get(response.headers["Location"]).get_data(as_text=True)
    assert "类型不允许上传" in page and "询问笔录.pdf</a>" not in page
    response = _upload(b, number, "scan.bin", PDF)
    page = b.get(response.headers["Location"]).get_data(as_text=True)
    assert "scan.bin</a>" in page and "application/pdf" in page


def test_files_over_the_limit_are_refused_clearly(browser, case_at, app):
    number = case_at("investigate")
    b = browser("daiyue.officer1")
    limit = app.config["UPLOAD_MAX_BYTES"]
    over = PDF + b"0" * (limit - len(PDF) + 1)
    response = _upload(b, number, "big.pdf", over)
    page = b.get(response.headers["Location"]).get_data(as_text=True)
    assert "超过了 0.1 MB 的大小限制" in page
    huge = _upload(b, number, "huge.pdf", PDF + b"0" * (app.config["MAX_CONTENT_LENGTH"] + 10))
    assert huge.status_code == 413 and "上传的文件超过了" in huge.get_data(as_text=True)
    empty = _upload(b, number, "empty.pdf", b"")
    assert "文件 empty.pdf 为空" in b.get(empty.headers["Location"]).get_data(as_text=True)


def test_upload_needs_csrf_and_scope(browser, case_at):
    number = case_at("investigate")
    b = browser("daiyue.officer1")
    no_token = b.post(f"/cases/{quote(number)}/files", {"file": (io.BytesIO(PDF), "a.pdf")}, csrf=False,
                      content_type="multipart/form-data")
    assert no_token.status_code == 400
    assert _upload(browser("taishan.officer1"), number, "a.pdf", PDF).status_code == 404


def test_downloads_only_in_scope(browser, case_at, ctx):
    number = case_at("investigate")
    _upload(browser("daiyue.officer1"), number, "a.pdf", PDF)
    with ctx.uow() as uow:
        file_id = uow.session.scalars(select(EvidenceFile.id)).one()
    assert browser("city.supervisor").get(f"/files/{file_id}").status_code == 200
    refused = browser("taishan.officer1").get(f"/files/{file_id}")
    assert refused.status_code == 404 and number not in refused.get_data(as_text=True)
    assert browser("daiyue.officer1").get("/files/999").status_code == 404


def test_bpmn_js_is_served_from_node_modules(browser):
    b = browser()
    js = b.get("/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js")
    assert js.status_code == 200 and b"BpmnJS" in js.data
    assert b.get("/vendor/bpmn-js/assets/diagram-js.css").status_code == 200
    assert b.get("/vendor/bpmn-js/../package.json").status_code == 404
    assert b.get("/vendor/bpmn-js/README.md").status_code == 404


def test_a_transfer_package_downloads_from_the_case_page_for_those_who_may_see_the_case(browser, ctx):
    number = transfer_at_proposal(ctx)
    complete(ctx, number, "propose_criminal_transfer", "daiyue.officer1", **PROPOSAL)
    complete(ctx, number, "approve_criminal_transfer", "daiyue.head", decision="approve", opinion="同意移送")
    package = cases.show_case(ctx, number)["transfer_packages"][0]
    b = browser("daiyue.officer1")
    page = b.get(f"/cases/{quote(number, safe='')}").get_data(as_text=True)
    assert "移送材料" in page and f'/transfer-packages/{package["id"]}.zip' in page
    pdf, archive = (b.get(f"/transfer-packages/{package['id']}.{part}") for part in ("pdf", "zip"))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"
    assert archive.status_code == 200 and hashlib.sha256(archive.data).hexdigest() == package["zip_sha256"]
    assert "attachment" in archive.headers["Content-Disposition"]
    assert browser("taishan.officer1").get(f"/transfer-packages/{package['id']}.zip").status_code == 404
    assert b.get(f"/transfer-packages/{package['id'] + 1}.zip").status_code == 404


def test_the_case_page_shows_each_time_limit_once_at_its_latest_round(browser, case_at, ctx):
    number = case_at("approve_proposal", legal_review=[{"opinion": "return"}] * 2 + [{"opinion": "agree"}])
    assert [c["rule"] for c in cases.show_case(ctx, number)["clocks"]].count("legal_review") == 3
    page = browser("daiyue.officer1").get(f"/cases/{quote(number, safe='')}").get_data(as_text=True)
    section = page[page.index('id="clocks"'):]
    section = section[:section.index("</section>")]
    assert section.count('data-rule="legal_review"') == 1 and "第3轮" in section
    assert section.count('data-rule="filing_decision"') == 1 and "第1轮" not in section
