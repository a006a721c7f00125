"""The session a login starts, as every later request reads it back."""
from engine.services import logins, users
from tests.conftest import PASSWORD


def _login(ctx, username: str) -> dict:
    return logins.login(ctx, username=username, password=PASSWORD, ip="127.0.0.1")


def test_each_request_reads_back_the_user_the_login_gave(ctx):
    for username in ("daiyue.officer1", "city.supervisor", "admin"):
        view = _login(ctx, username)
        assert logins.session_user(ctx, view["session_id"]) == view


def test_a_role_change_shows_on_the_next_read(ctx):
    view = _login(ctx, "daiyue.officer1")
    users.update_user(ctx, actor="admin", username="daiyue.officer1", full_name=view["full_name"],
                      unit_code=view["unit"], roles=["officer", "legal_reviewer"], active=True)
    assert logins.session_user(ctx, view["session_id"]) == {**view, "roles": ["legal_reviewer", "officer"]}
    users.update_user(ctx, actor="admin", username="daiyue.officer1", full_name=view["full_name"],
                      unit_code=view["unit"], roles=["officer"], active=False)
    assert logins.session_user(ctx, view["session_id"]) is None


def test_a_new_password_or_a_forged_id_has_no_session(ctx):
    view = _login(ctx, "daiyue.officer1")
    user_id = view["session_id"].partition(":")[0]
    assert logins.session_user(ctx, f"{user_id}:forged") is None
    assert logins.session_user(ctx, "not-a-number:x") is None
    assert logins.session_user(ctx, "999999:x") is None
    users.set_password(ctx, username="daiyue.officer1", password="another-password-1")
    assert logins.session_user(ctx, view["session_id"]) is None
    renewed = logins.login(ctx, username="daiyue.officer1", password="another-password-1", ip="127.0.0.1")
    assert logins.session_user(ctx, renewed["session_id"]) == renewed
