"""A task: its form (draft, complete), claim, release and reassign."""
from flask import Blueprint

bp = Blueprint("tasks", __name__, url_prefix="/tasks")

from web.tasks import views  # noqa: E402,F401
