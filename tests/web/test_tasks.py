"""Task pages: forms of every field type, validation beside the fields, drafts, completion, conflicts,
claim/unclaim/reassign and the legal reviewer's return."""
import io
import re

import pytest
from flask import render_template_string
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from engine.forms.definitions import parse_form
from engine.forms.samples import sample_submission
from engine.forms.validation import validate_submission
from engine.models import AuditEvent
from engine.services import cases, tasks
from engine.services.demo import drive
from tests.engine.services.helpers import open_task
from web.tasks.forms import parse

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

ALL_TYPES = parse_form({"id": "every_type", "title": {"zh": "全部类型", "en": "Every type"}, "fields": [
    {"name": "t", "type": "text", "label": {"zh": "文本", "en": "Text"}, "required": True, "max_length": 10},
    {"name": "ta", "type": "textarea", "label": {"zh": "多行文本", "en": "Textarea"}},
    {"name": "n", "type": "number", "label": {"zh": "数量", "en": "Number"}, "min": 1, "max": 9},
    {"name": "m", "type": "money", "label": {"zh": "金额", "en": "Money"}},
    {"name": "d", "type": "date", "label": {"zh": "日期", "en": "Date"}},
    {"name": "dt", "type": "datetime", "label": {"zh": "时间", "en": "Datetime"}},
    {"name": "s", "type": "select", "label": {"zh": "选择", "en": "Select"},
     "options": [{"value": "a", "label": {"zh": "甲", "en": "A"}}, {"value": "b", "label": {"zh": "乙", "en": "B"}}]},
    {"name": "ms", "type": "multiselect", "label": {"zh": "多选", "en": "Multi"},
     "options": [{"value": "x", "label": {"zh": "子", "en": "X"}}, {"value": "y", "label": {"zh": "丑", "en": "Y"}}]},
    {"name": "c", "type": "checkbox", "label": {"zh": "勾选", "en": "Check"}},
    {"name": "p", "type": "party", "label": {"zh": "当事人", "en": "Party"}},
    {"name": "ip", "type": "ip_right", "label": {"zh": "权利", "en": "Right"}},
    {"name": "ev", "type": "evidence", "label": {"zh": "证据", "en": "Evidence"}, "help": {"zh": "帮助", "en": "Help"}},
]})


def test_every_field_type_renders_and_round_trips_through_validation(app):
    posted = MultiDict([("t", "文本"), ("ta", "多行\n文本"), ("n", "3"), ("m", "1234.50"), ("d", "2026-03-02"),
                        ("dt", "2026-03-02T10:30"), ("s", "b"), ("ms", "x"), ("ms", "y"), ("c", "1"),
                        ("p.name", "泰安市某某商贸有限公司"), ("p.kind", "enterprise"), ("p.uscc", "91370900MA3C0000XH"),
                        ("ip.ip_type", "patent"), ("ip.number", "ZL2020"), ("ip.holder", "某公司"), ("ev", "7")])
    data = parse(ALL_TYPES, posted)
    submission = validate_submission(ALL_TYPES, data)
    assert submission.json["m"] == "1234.50" and submission.json["ms"] == ["x", "y"] and submission.json["c"] is True
    assert submission.json["p"]["uscc"] == "91370900MA3C0000XH" and submission.json["ev"] == [7]
    assert submission.json["dt"].startswith("2026-03-02T10:30:00+08:00")
    with app.test_request_context("/"):
        html = render_template_string(
            '{% from "tasks/fields.html" import field %}{% for f in form.fields %}'
            '{{ field(f, values.get(f.name), {}, files) }}{% endfor %}',
            form=ALL_TYPES, values=data, files=[{"id": 7, "filename": "照片.jpg"}])
    for name, kind in [("t", "text"), ("n", "number"), ("m", "money"), ("d", "date"), ("dt", "datetime")]:
        assert f'data-field="{name}" data-type="{kind}"' in html
    assert 'type="datetime-local" value="2026-03-02T10:30"' in html
    assert '<option value="b" selected>乙</option>' in html
    assert 'name="ms" value="x" checked' in html and 'name="c" value="1" checked' in html
    assert 'name="p.uscc" value="91370900MA3C0000XH"' in html and 'name="ip.number" value="ZL2020"' in html
    assert 'name="ev" value="7" checked' in html and 'name="ev.upload"' in html and "帮助" in html


def test_an_optional_party_left_blank_is_no_party_though_its_kind_select_always_holds_a_value():
    posted = MultiDict([("t", "文本"), ("p.name", ""), ("p.kind", "enterprise"), ("p.uscc", ""),
                        ("ip.ip_type", ""), ("ip.number", ""), ("ip.holder", "")])
    data = parse(ALL_TYPES, posted)
    assert "p" not in data and "ip" not in data
    assert validate_submission(ALL_TYPES, data).json["p"] is None  # valid: the optional party is simply absent
    # a party with only a credit code typed in is an entry, whose missing name the engine names
    data = parse(ALL_TYPES, MultiDict([("p.kind", "person"), ("p.uscc", "91370900MA3C0000XH")]))
    assert data["p"] == {"name": "", "kind": "person", "uscc": "91370900MA3C0000XH"}
    # the IP type select has a blank option: choosing a type alone is an entry
    assert parse(ALL_TYPES, MultiDict([("ip.ip_type", "patent")]))["ip"] == {"ip_type": "patent"}


def _claimed_verification(ctx, case_at, who="daiyue.officer1"):
    number = case_at("verify_lead")
    task = open_task(ctx, number, "verify_lead")
    tasks.claim(ctx, username=who, task_id=task["id"])
    return number, task["id"]


def _verification(ctx, **overrides):
    return sample_submission(ctx.forms.get("verification"), {"findings": "现场检查发现涉嫌侵权商品120件", **overrides})


def test_task_page_shows_form_labels_help_and_earlier_data(browser, case_at, ctx):
    number, task_id = _claimed_verification(ctx, case_at)
    page = browser("daiyue.officer1").get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "核查情况" in page and "不少于两名执法人员" in page and "前序环节信息" in page
    assert number in page and "保存草稿" in page and "提交办结" in page and "退回组内" in page


def test_missing_and_bad_fields_come_back_beside_the_fields_with_the_input_kept(browser, case_at, ctx):
    number, task_id = _claimed_verification(ctx, case_at)
    b = browser("daiyue.officer1")
    data = _verification(ctx, findings="", offence_date="2026-13-40")
    response = b.post(f"/tasks/{task_id}", {**data, "action": "complete"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    findings = re.search(r'data-field="findings".*?</div>', page, re.S).group(0)
    assert "此项为必填项" in findings or "至少 1 个字符" in findings
    assert "不是有效的日期" in re.search(r'data-field="offence_date".*?</div>', page, re.S).group(0)
    assert f'value="{data["officers"]}"' in page  # what was typed is still there
    assert open_task(ctx, number, "verify_lead")["id"] == task_id  # nothing moved on


def test_an_amount_of_thirty_digits_is_refused_beside_its_field_not_a_server_error(browser, case_at, ctx):
    number = case_at("write_report")
    task = open_task(ctx, number, "write_report")
    data = sample_submission(ctx.forms.get("investigation_report"), {"illegal_gains": "9" * 30})
    response = browser("daiyue.officer1").post(f"/tasks/{task['id']}", {**data, "action": "complete"})
    assert response.status_code == 422
    field = re.search(r'data-field="illegal_gains".*?</div>', response.get_data(as_text=True), re.S).group(0)
    assert f'value="{"9" * 30}"' in field and "须在 0 至 1000000000000 之间" in field  # kept, with its range
    assert open_task(ctx, number, "write_report")["id"] == task["id"]  # nothing moved on


def test_save_draft_keeps_partial_input(browser, case_at, ctx):
    number, task_id = _claimed_verification(ctx, case_at)
    b = browser("daiyue.officer1")
    response = b.post(f"/tasks/{task_id}", {"findings": "初步核查情况", "action": "draft"}, follow_redirects=True)
    assert "草稿已保存" in response.get_data(as_text=True)
    assert "初步核查情况" in b.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert tasks.show_task(ctx, task_id)["draft"]["findings"] == "初步核查情况"


def test_complete_moves_the_case_on(browser, case_at, ctx):
    number, task_id = _claimed_verification(ctx, case_at)
    b = browser("daiyue.officer1")
    response = b.post(f"/tasks/{task_id}", {**_verification(ctx), "action": "complete"})
    assert response.status_code == 302 and "/cases/" in response.headers["Location"]
    page = b.get(response.headers["Location"]).get_data(as_text=True)
    assert "已完成环节：核查" in page
    assert cases.show_case(ctx, number)["stage"] == "decide_filing"


def test_completed_by_someone_else_meanwhile_is_a_clear_conflict_and_keeps_the_input(browser, case_at, ctx):
    number = case_at("verify_lead")
    task_id = open_task(ctx, number, "verify_lead")["id"]
    b = browser("daiyue.officer1")
    assert b.get(f"/tasks/{task_id}").status_code == 200  # the form is open ...
    tasks.complete(ctx, username="daiyue.officer2", task_id=task_id, data=_verification(ctx))  # ... someone else
    mine = _verification(ctx, findings="我写的核查情况，不能丢")
    response = b.post(f"/tasks/{task_id}", {**mine, "action": "complete"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "任务 {} 已结束（已完成）".format(task_id) in page and "我写的核查情况，不能丢" in page


def test_a_task_held_by_someone_else_cannot_be_completed(browser, case_at, ctx):
    number, task_id = _claimed_verification(ctx, case_at, who="daiyue.officer2")
    response = browser("daiyue.officer1").post(f"/tasks/{task_id}", {**_verification(ctx), "action": "complete"})
    assert response.status_code == 403 and "已分配给他人" in response.get_data(as_text=True)


def test_unclaim_returns_the_task_to_the_group(browser, case_at, ctx):
    number, task_id = _claimed_verification(ctx, case_at)
    b = browser("daiyue.officer1")
    assert b.post(f"/tasks/{task_id}/unclaim").status_code == 302
    assert open_task(ctx, number, "verify_lead")["assignee"] is None
    response = browser("daiyue.officer2").post(f"/tasks/{task_id}/unclaim")
    assert response.status_code == 403 and "只有任务" in response.get_data(as_text=True)


def test_unit_head_reassigns_with_a_reason(browser, case_at, ctx):
    number, task_id = _claimed_verification(ctx, case_at)
    head = browser("daiyue.head")
    page = head.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "改派" in page and 'value="daiyue.officer2"' in page and 'value="daiyue.legal"' not in page
    missing = head.post(f"/tasks/{task_id}/reassign", {"to": "daiyue.officer2", "reason": " "})
    assert missing.status_code == 422 and "改派任务须填写理由" in missing.get_data(as_text=True)
    unsuitable = head.post(f"/tasks/{task_id}/reassign", {"to": "daiyue.legal", "reason": "休假"})
    assert unsuitable.status_code == 422 and "不能办理该任务" in unsuitable.get_data(as_text=True)
    done = head.post(f"/tasks/{task_id}/reassign", {"to": "daiyue.officer2", "reason": "原办案人员休假"})
    assert done.status_code == 302
    assert open_task(ctx, number, "verify_lead")["assignee"] == "daiyue.officer2"
    timeline = head.get(f"/cases/{number}").get_data(as_text=True)
    assert "改派了" in timeline and "原办案人员休假" in timeline


@pytest.mark.parametrize("user, status", [("daiyue.officer2", 403), ("taishan.head", 404), ("daiyue.supervisor", 302),
                                          ("city.supervisor", 302)])
def test_who_may_reassign(browser, case_at, ctx, user, status):
    number, task_id = _claimed_verification(ctx, case_at)
    response = browser(user).post(f"/tasks/{task_id}/reassign", {"to": "daiyue.officer2", "reason": "调整"})
    assert response.status_code == status


def test_legal_reviewer_returns_the_case_for_more_investigation(browser, case_at, ctx):
    number = case_at("legal_review")
    task_id = open_task(ctx, number, "legal_review")["id"]
    legal = browser("daiyue.legal")
    page = legal.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "法制审核" in page and "认领" in page
    assert legal.post(f"/tasks/{task_id}/claim").status_code == 302
    data = sample_submission(ctx.forms.get("legal_review"), {"opinion": "return", "opinion_text": "证据不足，退回补充调查"})
    response = legal.post(f"/tasks/{task_id}", {**data, "action": "complete"})
    assert response.status_code == 302
    view = cases.show_case(ctx, number)
    assert [t["step"] for t in view["open_tasks"]] == ["investigate"]


def test_evidence_files_uploaded_in_a_form_join_the_field_and_the_case(browser, case_at, ctx):
    number = case_at("investigate")
    task = open_task(ctx, number, "investigate")
    holder = task["assignee"] or "daiyue.officer1"
    if task["assignee"] is None:
        tasks.claim(ctx, username=holder, task_id=task["id"])
    b = browser(holder)
    data = sample_submission(ctx.forms.get("investigation"), {"evidence_summary": "现场检查笔录、照片"})
    data.pop("evidence")
    response = b.post(f"/tasks/{task['id']}", {**data, "action": "complete",
                                                "evidence.upload": (io.BytesIO(PDF), "现场检查笔录.pdf")},
                      content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    done = tasks.show_task(ctx, task["id"])
    [file_id] = done["data"]["evidence"]
    assert "现场检查笔录.pdf" in b.get(f"/cases/{number}").get_data(as_text=True)
    assert b.get(f"/files/{file_id}").data == PDF


def test_a_task_out_of_scope_does_not_exist(browser, case_at, ctx):
    number, task_id = _claimed_verification(ctx, case_at)
    other = browser("taishan.officer1")
    assert other.get(f"/tasks/{task_id}").status_code == 404
    assert other.post(f"/tasks/{task_id}/claim").status_code == 404
    assert other.post(f"/tasks/{task_id}", {**_verification(ctx), "action": "complete"}).status_code == 404
    assert browser("daiyue.officer1").get("/tasks/999999").status_code == 404


def test_an_id_too_large_for_any_row_is_no_page_rather_than_an_error(browser):
    b = browser("daiyue.officer1")
    assert b.get("/tasks/99999999999").status_code == 404
    assert b.post("/tasks/99999999999", {"action": "complete"}).status_code == 404
    assert b.get("/files/99999999999").status_code == 404


def test_a_post_to_a_task_out_of_scope_is_refused_audited_and_changes_nothing(browser, case_at, ctx):
    number, task_id = _claimed_verification(ctx, case_at)
    data = {**_verification(ctx), "action": "complete"}
    response = browser("taishan.officer1").post(f"/tasks/{task_id}", data)
    assert response.status_code == 404 and number not in response.get_data(as_text=True)
    assert browser("daiyue.officer1").post("/tasks/999999", data).status_code == 404
    with ctx.uow() as uow:
        denied = uow.session.scalars(select(AuditEvent.details).where(AuditEvent.action == "access.denied")).all()
    assert denied == [{"task_id": task_id}]
    assert open_task(ctx, number, "verify_lead")["id"] == task_id
