"""Administration: users, roles, units and workflow definitions."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from web.admin import views  # noqa: E402,F401
