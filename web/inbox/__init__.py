"""The task inbox: tabs, filters, sorts, keyset pages."""
from flask import Blueprint

bp = Blueprint("inbox", __name__)

from web.inbox import views  # noqa: E402,F401
