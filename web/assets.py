"""Front-end packages served from node_modules (installed by `npm ci`, never committed)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, send_from_directory

bp = Blueprint("assets", __name__)


@bp.get("/vendor/bpmn-js/<path:filename>")
def bpmn_js(filename):
    """bpmn-js's dist files: the viewer bundle and its CSS and fonts."""
    if not (filename.endswith((".js", ".css", ".woff", ".woff2", ".ttf", ".eot", ".svg"))):
        abort(404)
    return send_from_directory(current_app.config["BPMN_JS_DIR"], filename, max_age=86400)


def init_app(app) -> None:
    app.register_blueprint(bp)
