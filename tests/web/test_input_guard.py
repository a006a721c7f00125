"""A request carrying a NUL character is refused with a message, whichever page it reaches,
and nothing is written (PostgreSQL answered 500 to it; SQLite stored it)."""
from __future__ import annotations

from engine.forms.samples import sample_submission
from engine.services import users
from tests.engine.services.helpers import open_task


def test_a_form_field_with_a_nul_is_refused_and_the_task_stays_open(browser, case_at, ctx):
    number = case_at("write_report")
    task = open_task(ctx, number, "write_report")
    data = sample_submission(ctx.forms.get("investigation_report"))
    response = browser("daiyue.officer1").post(f"/tasks/{task['id']}",
                                               {**data, "facts": "售假\x00", "action": "complete"})
    assert response.status_code == 422
    assert "无法保存的字符" in response.get_data(as_text=True)
    assert open_task(ctx, number, "write_report")["id"] == task["id"]


def test_a_username_with_a_nul_creates_no_user(browser, ctx):
    response = browser("admin").post("/admin/users/new", {"username": "zhang\x00san", "full_name": "张三",
                                                          "unit": "taishan", "roles": "officer",
                                                          "password": "long-enough-1"})
    assert response.status_code == 422
    assert not any(u["username"].startswith("zhang") for u in users.list_users(ctx))


def test_a_query_parameter_with_a_nul_is_refused(browser):
    response = browser("daiyue.officer1").get("/inbox?party=%00")
    assert response.status_code == 422
    assert "无法保存的字符（NUL）：party。" in response.get_data(as_text=True)  # the field it is in
