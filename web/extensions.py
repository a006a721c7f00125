"""Flask extensions, created unbound and bound in create_app."""
from __future__ import annotations

from flask import current_app
from flask_login import LoginManager, UserMixin
from flask_wtf.csrf import CSRFProtect
from markupsafe import Markup

from engine.services import logins

login_manager = LoginManager()
csrf = CSRFProtect()


class SessionUser(UserMixin):
    """The logged-in user as the session sees it (a plain view, no database object)."""

    def __init__(self, view: dict):
        self.view = view
        self.username = view["username"]
        self.full_name = view["full_name"]
        self.roles = set(view["roles"])
        self.unit = view["unit"]
        self.unit_name = view["unit_name"]
        self.locale = view.get("locale") or "zh"

    def get_id(self) -> str:
        return self.view["session_id"]

    def has_role(self, role: str) -> bool:
        return role in self.roles


@login_manager.user_loader
def _load_user(session_id: str):
    view = logins.session_user(current_app.extensions["ipcase"], session_id)
    return SessionUser(view) if view else None


def init_app(app) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    csrf.init_app(app)

    @app.context_processor
    def _csrf_field():
        from flask_wtf.csrf import generate_csrf
        return {"csrf_field": lambda: Markup(f'<input type="hidden" name="csrf_token" value="{generate_csrf()}">')}
