"""Mediation: the mediator's "my disputes", a dispute's page, the centre head's caseload view.

Steps themselves (accept or decline, sessions and minutes, the agreement editor: the signing
step starts with the generated 调解协议书 text) use the generic task pages of web/tasks.
"""
from flask import Blueprint

bp = Blueprint("mediation", __name__, url_prefix="/mediation")

from web.mediation import views  # noqa: E402,F401
