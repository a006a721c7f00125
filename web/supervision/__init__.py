"""Supervision (督办): dashboard with drill-down and exports, orders and replies, notifications,
a case's clocks (pause, resume, extension requests and decisions), the admin holiday table."""
from flask import Blueprint

bp = Blueprint("supervision", __name__, url_prefix="/supervision")

from web.supervision import views  # noqa: E402,F401
