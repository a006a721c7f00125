"""Administration: users, roles, units and workflow definitions; administrators only."""
import io
import re

import pytest
from sqlalchemy import func, select

from engine.models import User, WorkflowDefinition
from engine.services import cases
from engine.settings import PROJECT_ROOT
from tests.conftest import PASSWORD
from tests.web.conftest import Browser

ADMIN_GETS = ["/admin/", "/admin/users", "/admin/users/new", "/admin/users/daiyue.officer1", "/admin/units",
              "/admin/workflows", "/admin/workflows/enforcement/1", "/admin/workflows/enforcement/1.bpmn"]


@pytest.mark.parametrize("url", ADMIN_GETS)
@pytest.mark.parametrize("user", ["daiyue.officer1", "daiyue.head", "city.supervisor"])
def test_admin_pages_are_for_administrators_only(browser, user, url):
    response = browser(user).get(url)
    assert response.status_code == 403
    assert "只有系统管理员可以进行此操作" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ADMIN_GETS)
def test_admin_pages_open_for_an_administrator(browser, url):
    response = browser("admin").get(url)
    assert response.status_code in (200, 302)


def test_admin_posts_are_refused_to_others(browser):
    b = browser("daiyue.head")
    assert b.post("/admin/users/new", {"username": "x"}).status_code == 403
    assert b.post("/admin/units", {"code": "x"}).status_code == 403
    assert b.post("/admin/workflows", {"process_id": "enforcement"}).status_code == 403


def test_create_a_user_who_can_then_log_in(browser, app):
    b = browser("admin")
    bad = b.post("/admin/users/new", {"username": "zhang.san", "full_name": "张三", "unit": "taishan",
                                      "roles": "officer", "password": "short"})
    assert bad.status_code == 422 and "密码至少需要 8 个字符" in bad.get_data(as_text=True)
    assert 'value="zhang.san"' in bad.get_data(as_text=True)
    ok = b.post("/admin/users/new", {"username": "zhang.san", "full_name": "张三", "unit": "taishan",
                                     "roles": ["officer", "legal_reviewer"], "password": "long-enough-1"})
    assert ok.status_code == 302
    assert "zhang.san" in b.get("/admin/users?unit=taishan").get_data(as_text=True)
    again = b.post("/admin/users/new", {"username": "zhang.san", "full_name": "张三", "unit": "taishan",
                                        "roles": "officer", "password": "long-enough-1"})
    assert again.status_code == 422 and "用户名 zhang.san 已存在" in again.get_data(as_text=True)
    Browser(app).login("zhang.san", "long-enough-1")


def test_edit_roles_unit_and_active_flag_and_reset_a_password(browser, ctx, app):
    b = browser("admin")
    page = b.get("/admin/users/daiyue.officer2").get_data(as_text=True)
    assert 'value="officer" checked' in page
    response = b.post("/admin/users/daiyue.officer2", {"action": "save", "full_name": "岱岳区执法员乙",
                                                        "unit": "taishan", "roles": ["officer", "unit_head"],
                                                        "active": "1"})
    assert response.status_code == 302
    with ctx.uow() as uow:
        user = uow.session.scalar(select(User).where(User.username == "daiyue.officer2"))
        assert user.unit.code == "taishan" and {r.value for r in user.roles} == {"officer", "unit_head"}
    b.post("/admin/users/daiyue.officer2", {"action": "password", "password": "reset-by-admin"})
    Browser(app).login("daiyue.officer2", "reset-by-admin")
    b.post("/admin/users/daiyue.officer2", {"action": "save", "full_name": "乙", "unit": "taishan",
                                            "roles": "officer"})  # no "active": deactivated
    fresh = Browser(app)
    fresh.get("/login")
    assert fresh.post("/login", {"username": "daiyue.officer2", "password": "reset-by-admin"}).status_code == 401


def test_an_admin_cannot_lock_themselves_out(browser):
    response = browser("admin").post("/admin/users/admin", {"action": "save", "full_name": "管理员", "unit": "taian",
                                                            "roles": "officer", "active": "1"})
    assert response.status_code == 422 and "不能取消自己的管理员角色" in response.get_data(as_text=True)


def test_units_list_and_create(browser):
    b = browser("admin")
    page = b.get("/admin/units").get_data(as_text=True)
    assert "岱岳区市场监督管理局" in page and "泰岱市监" in page
    bad = b.post("/admin/units", {"code": "X!", "name": "", "number_prefix": "泰新", "level": "county",
                                  "parent": "taian"})
    assert bad.status_code == 422 and "单位信息有误" in bad.get_data(as_text=True)
    ok = b.post("/admin/units", {"code": "xinqu", "name": "泰安新区市场监督管理局", "number_prefix": "泰新市监",
                                 "level": "zone", "parent": "taian"})
    assert ok.status_code == 302
    assert "泰安新区市场监督管理局" in b.get("/admin/units").get_data(as_text=True)
    dup = b.post("/admin/units", {"code": "xinqu", "name": "重复", "number_prefix": "泰新", "level": "zone"})
    assert "代码为 xinqu 的单位已存在" in dup.get_data(as_text=True)


def _versions(ctx) -> int:
    with ctx.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(WorkflowDefinition)
                                  .where(WorkflowDefinition.process_id == "enforcement"))


def _deploy(b, content: bytes, name="enforcement.bpmn", process_id="enforcement"):
    return b.post("/admin/workflows", {"process_id": process_id, "file": (io.BytesIO(content), name)},
                  content_type="multipart/form-data")


def test_a_broken_bpmn_upload_is_refused_clearly_and_the_old_version_keeps_running(browser, ctx, case_at):
    number = case_at("verify_lead")
    b = browser("admin")
    before = _versions(ctx)
    response = _deploy(b, b"<bpmn:definitions>not closed")
    assert response.status_code == 422
    assert "不是格式正确的 XML" in response.get_data(as_text=True)
    broken = (PROJECT_ROOT / "workflows" / "enforcement.bpmn").read_bytes().replace(
        b'value="verification"', b'value="no_such_form"')
    response = _deploy(b, broken)
    assert response.status_code == 422 and "引用的表单不存在" in response.get_data(as_text=True)
    assert _versions(ctx) == before
    assert browser("daiyue.officer1").get(f"/cases/{number}").status_code == 200


def test_upload_a_new_version_and_view_its_diagram(browser, ctx, case_at):
    number = case_at("verify_lead")
    b = browser("admin")
    xml = (PROJECT_ROOT / "workflows" / "enforcement.bpmn").read_bytes().replace(
        'name="核查"'.encode(), 'name="线索核查"'.encode(), 1)
    response = _deploy(b, xml)
    assert response.status_code == 302
    version = _versions(ctx)
    page = b.get("/admin/workflows").get_data(as_text=True)
    assert f'data-process="enforcement" data-version="{version}"' in page
    assert "线索核查".encode() in b.get(f"/admin/workflows/enforcement/{version}.bpmn").data
    assert "bpmn-canvas" in b.get(f"/admin/workflows/enforcement/{version}").get_data(as_text=True)
    assert cases.show_case(ctx, number)["instances"][0]["version"] == version - 1  # running case stays
    again = _deploy(b, xml)
    assert "已部署为" in b.get(again.headers["Location"]).get_data(as_text=True)
    assert b.get(f"/admin/workflows/enforcement/{version + 5}").status_code == 404
