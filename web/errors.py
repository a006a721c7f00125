"""One place maps engine errors (and HTTP errors) to pages or JSON, in the user's language."""
from __future__ import annotations

from flask import jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, TooManyAttempts
from web.i18n import field_errors, translate_error

STATUS = [(NotFound, 404), (Forbidden, 403), (Conflict, 409), (TooManyAttempts, 429), (Invalid, 422)]


def status_of(err: DomainError) -> int:
    return next((code for cls, code in STATUS if isinstance(err, cls)), 400)


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def respond(status: int, message: str, errors: dict | None = None, code: str = "error"):
    if _wants_json():
        return jsonify(error=code, message=message, errors=errors or {}), status
    return render_template("error.html", status=status, message=message, errors=errors or {}), status


def init_app(app) -> None:
    @app.errorhandler(DomainError)
    def domain_error(err: DomainError):
        errors = field_errors(err.errors) if isinstance(err, Invalid) else {}
        return respond(status_of(err), translate_error(err), errors, err.code)

    @app.errorhandler(CSRFError)
    def csrf_error(err):
        return respond(400, gettext("The form has expired or was not sent from this site. "
                                    "Go back, reload the page and try again."), code="csrf")

    @app.errorhandler(413)
    def too_large(err):
        limit = round(app.config["UPLOAD_MAX_BYTES"] / 1024 / 1024, 1)
        return respond(413, gettext("The upload is larger than the limit of %(limit)s MB.", limit=limit),
                       code="too_large")

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        messages = {404: gettext("This page does not exist or you may not see it."),
                    405: gettext("This action is not allowed here.")}
        return respond(err.code or 500, messages.get(err.code, err.description), code="http")
