"""The case page: header, tasks, timeline, files, clocks and the live BPMN diagram."""
from flask import Blueprint

bp = Blueprint("cases", __name__)

from web.cases import views  # noqa: E402,F401
