from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import login_required, login_user, logout_user

from engine.errors import Invalid, TooManyAttempts
from engine.services import logins
from web.auth import bp
from web.extensions import SessionUser
from web.i18n import translate_error


def _ctx():
    return current_app.extensions["ipcase"]


def _safe_next(target: str | None) -> str:
    """Only local paths: never redirect to another site after login."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("inbox.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; failures count towards the rate limit."""
    if request.method == "GET":
        return render_template("auth/login.html", username="", error=None)
    username = request.form.get("username", "")
    try:
        view = logins.login(_ctx(), username=username, password=request.form.get("password", ""),
                            ip=request.remote_addr or "?")
    except (Invalid, TooManyAttempts) as err:
        status = 429 if isinstance(err, TooManyAttempts) else 401
        return render_template("auth/login.html", username=username, error=translate_error(err)), status
    session.clear()
    login_user(SessionUser(view))
    session.permanent = True
    return redirect(_safe_next(request.args.get("next")))


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.post("/lang")
def set_language():
    """Switch the interface language for this session."""
    chosen = request.form.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        session["lang"] = chosen
    return redirect(_safe_next(request.form.get("next")))
