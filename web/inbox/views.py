from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user, login_required

from engine.errors import Invalid
from engine.services import inbox
from web.i18n import field_errors
from web.inbox import bp

FILTER_KEYS = ("pipeline", "step", "due_from", "due_to", "overdue", "ip_type", "party", "number")


@bp.get("/inbox")
@login_required
def index():
    """One tab of the inbox with its filters, sort and page."""
    ctx = current_app.extensions["ipcase"]
    args = request.args
    tab, sort = args.get("tab", "mine"), args.get("sort", "due")
    raw_filters = {k: args.get(k, "") for k in FILTER_KEYS}
    try:
        filters = inbox.Filters.parse(raw_filters)
        filter_errors = {}
    except Invalid as err:
        filters, filter_errors = inbox.Filters(), field_errors(err.errors)
    page = inbox.list_inbox(ctx, username=current_user.username, tab=tab, filters=filters, sort=sort,
                            after=args.get("after") or None)
    query = {k: v for k, v in raw_filters.items() if v}
    status = 422 if filter_errors else 200
    return render_template("inbox/index.html", page=page, query=query, raw=raw_filters,
                           filter_errors=filter_errors, steps=inbox.step_choices(ctx), tabs=inbox.TABS,
                           sorts=inbox.SORTS), status
