"""Login, logout, sessions, CSRF, rate limiting and the language switch."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine.models import LoginAttempt
from engine.services import users
from tests.conftest import PASSWORD
from tests.web.conftest import Browser
from web import create_app

PAGES = ["/inbox", "/inbox?tab=group", "/tasks/1", "/cases/X", "/files/1", "/admin/users", "/admin/units",
         "/admin/workflows", "/admin/workflows/enforcement/1", "/cases/X/diagram/1.bpmn"]


def test_login_page_is_in_chinese_by_default(browser):
    page = browser().get("/login").get_data(as_text=True)
    assert "登录" in page and "用户名" in page and 'lang="zh-CN"' in page


def test_login_then_logout(browser):
    b = browser()
    b.get("/login")
    response = b.post("/login", {"username": "daiyue.officer1", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/inbox")
    assert "岱岳区执法员甲" in b.get("/inbox").get_data(as_text=True)
    assert b.post("/logout").status_code == 302
    assert b.get("/inbox").status_code == 302


def test_session_cookie_is_http_only_and_same_site(browser):
    b = browser()
    b.get("/login")
    response = b.post("/login", {"username": "daiyue.officer1", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_secure_cookies_when_configured(web_ctx):
    app = create_app({"SECRET_KEY": "x", "SESSION_COOKIE_SECURE": True}, context=web_ctx)
    b = Browser(app)
    b.get("/login")
    cookie = b.post("/login", {"username": "daiyue.officer1", "password": PASSWORD}).headers["Set-Cookie"]
    assert "Secure" in cookie and app.config["REMEMBER_COOKIE_SECURE"]


def test_wrong_password_is_refused_with_a_clear_message(browser):
    b = browser()
    b.get("/login")
    response = b.post("/login", {"username": "daiyue.officer1", "password": "nope-nope"})
    assert response.status_code == 401
    body = response.get_data(as_text=True)
    assert "用户名或密码错误" in body and 'value="daiyue.officer1"' in body


@pytest.mark.parametrize("url", PAGES)
def test_every_page_needs_a_login(browser, url):
    response = browser().get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_without_csrf_token_is_rejected(browser):
    b = browser()
    response = b.post("/login", {"username": "daiyue.officer1", "password": PASSWORD}, csrf=False)
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)
    assert b.get("/inbox").status_code == 302  # not logged in


def test_logout_without_csrf_token_is_rejected(browser):
    b = browser("daiyue.officer1")
    assert b.post("/logout", csrf=False).status_code == 400
    assert b.get("/inbox").status_code == 200


def test_a_foreign_csrf_token_is_rejected(browser):
    other = browser("daiyue.officer2")
    b = browser("daiyue.officer1")
    assert b.post("/logout", {"csrf_token": other.token}).status_code == 400


def _fail(b, username, times, ip="10.0.0.1"):
    for _ in range(times):
        r = b.post("/login", {"username": username, "password": "wrong-password"},
                   environ_base={"REMOTE_ADDR": ip})
        assert r.status_code == 401


def test_five_failures_per_account_block_it_for_a_minute(browser, clock):
    b = browser()
    b.get("/login")
    _fail(b, "daiyue.officer1", 5)
    blocked = b.post("/login", {"username": "daiyue.officer1", "password": PASSWORD},
                     environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert blocked.status_code == 429
    assert "登录失败次数过多，请等待 60 秒后再试" in blocked.get_data(as_text=True)
    clock.advance(timedelta(seconds=45))
    again = b.post("/login", {"username": "daiyue.officer1", "password": PASSWORD})
    assert "请等待 15 秒" in again.get_data(as_text=True)
    clock.advance(timedelta(seconds=16))
    ok = b.post("/login", {"username": "daiyue.officer1", "password": PASSWORD},
                environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert ok.status_code == 302


def test_five_failures_from_one_address_block_that_address(browser):
    b = browser()
    b.get("/login")
    for name in ("a1", "a2", "a3", "a4", "a5"):
        _fail(b, name, 1, ip="10.0.0.9")
    blocked = b.post("/login", {"username": "daiyue.officer1", "password": PASSWORD},
                     environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert blocked.status_code == 429
    elsewhere = b.post("/login", {"username": "daiyue.officer1", "password": PASSWORD},
                       environ_base={"REMOTE_ADDR": "10.0.0.10"})
    assert elsewhere.status_code == 302


def test_the_limit_is_shared_by_every_worker(web_ctx):
    """Two app instances (two workers) on one database see the same failures."""
    first, second = Browser(create_app({"SECRET_KEY": "x"}, context=web_ctx)), \
        Browser(create_app({"SECRET_KEY": "x"}, context=web_ctx))
    first.get("/login")
    second.get("/login")
    _fail(first, "daiyue.officer1", 3)
    _fail(second, "daiyue.officer1", 2)
    assert second.post("/login", {"username": "daiyue.officer1", "password": PASSWORD}).status_code == 429
    with web_ctx.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(LoginAttempt)) == 5


def test_login_redirects_only_to_local_pages(browser):
    b = browser()
    b.get("/login")
    response = b.post("/login?next=//evil.example/x", {"username": "daiyue.officer1", "password": PASSWORD})
    assert response.headers["Location"].endswith("/inbox")
    b = browser()
    b.get("/login")
    response = b.post("/login?next=/admin/users", {"username": "daiyue.officer1", "password": PASSWORD})
    assert response.headers["Location"].endswith("/admin/users")


def test_a_password_change_ends_other_sessions(browser, web_ctx):
    b = browser("daiyue.officer1")
    users.set_password(web_ctx, username="daiyue.officer1", password="a-new-password")
    assert b.get("/inbox").status_code == 302


def test_a_deactivated_user_is_logged_out(browser, web_ctx):
    b = browser("daiyue.officer1")
    users.update_user(web_ctx, actor="admin", username="daiyue.officer1", full_name="甲", unit_code="daiyue",
                      roles=["officer"], active=False)
    assert b.get("/inbox").status_code == 302
    b.get("/login")
    assert b.post("/login", {"username": "daiyue.officer1", "password": PASSWORD}).status_code == 401


def test_a_revoked_role_takes_effect_on_the_next_request(browser, web_ctx):
    b = browser("daiyue.head")
    assert 'href="/supervision/"' in b.get("/inbox").get_data(as_text=True)
    users.update_user(web_ctx, actor="admin", username="daiyue.head", full_name="岱岳区局长", unit_code="daiyue",
                      roles=["officer"], active=True)
    assert 'href="/supervision/"' not in b.get("/inbox").get_data(as_text=True)


def test_english_can_be_chosen(browser):
    b = browser("daiyue.officer1")
    response = b.post("/lang", {"lang": "en", "next": "/inbox"})
    assert response.headers["Location"].endswith("/inbox")
    page = b.get("/inbox").get_data(as_text=True)
    assert "My tasks" in page and "我的待办" not in page and 'lang="en"' in page
    b.post("/lang", {"lang": "zh", "next": "/inbox"})
    assert "我的待办" in b.get("/inbox").get_data(as_text=True)


def test_health_check_needs_no_login(browser):
    assert browser().get("/healthz").json == {"status": "ok"}
