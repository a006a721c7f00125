"""ipcase web app (Flask): thin views over engine services."""
from __future__ import annotations

from flask import Flask

from engine.context import Context, build_context


def create_app(config: dict | None = None, context: Context | None = None) -> Flask:
    """Build the app; `context` lets tests share their engine context (database, clock)."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(SECRET_KEY="dev-only-change-me", JSON_AS_ASCII=False)
    app.config.from_prefixed_env("IPCASE")
    if config:
        app.config.update(config)
    app.extensions["ipcase"] = context or build_context()

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app


def engine_context(app: Flask) -> Context:
    return app.extensions["ipcase"]
