"""ipcase web app (Flask): thin views over engine services."""
from __future__ import annotations

from flask import Flask, redirect, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.context import Context, build_context
from web.config import Config


def create_app(config: dict | None = None, context: Context | None = None) -> Flask:
    """Build the app; `context` lets tests share their engine context (database, clock)."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(Config)
    app.config.from_prefixed_env("IPCASE")
    if config:
        app.config.update(config)
    # Uploads may be this big; the form fields around them get a little room on top.
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["UPLOAD_MAX_BYTES"]) + 1024 * 1024
    if app.config.get("SESSION_COOKIE_SECURE"):
        app.config["REMEMBER_COOKIE_SECURE"] = True
    if app.config.get("PROXY_FIX"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)
    app.extensions["ipcase"] = context or build_context()

    from web import assets, converters, errors, extensions, i18n, input_guard
    converters.init_app(app)
    extensions.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    input_guard.init_app(app)
    assets.init_app(app)

    from web.admin import bp as admin_bp
    from web.auth import bp as auth_bp
    from web.cases import bp as cases_bp
    from web.inbox import bp as inbox_bp
    from web.tasks import bp as tasks_bp
    for bp in (auth_bp, inbox_bp, tasks_bp, cases_bp, admin_bp):
        app.register_blueprint(bp)
    from web.mediation import bp as mediation_bp  # my disputes, a dispute, the caseload view
    app.register_blueprint(mediation_bp)

    from web.supervision import bp as supervision_bp  # 督办: dashboard, orders, clocks, holidays
    app.register_blueprint(supervision_bp)

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.get("/")
    def index():
        return redirect(url_for("inbox.index"))

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    return app


def engine_context(app: Flask) -> Context:
    return app.extensions["ipcase"]
