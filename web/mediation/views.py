from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engine.services import mediation_desk
from web.i18n import label
from web.mediation import bp

T = {  # page texts, zh and en
    "recusal_recorded": {"zh": "回避申请已记录，待调解中心负责人决定。", "en": "Recusal request recorded for the centre head."},
    "recusal_decided": {"zh": "回避申请已决定。", "en": "Recusal request decided."},
}


def _ctx():
    return current_app.extensions["ipcase"]


@bp.get("/")
@login_required
def disputes():
    """The mediator's disputes: next session, deadlines, open steps."""
    rows = mediation_desk.my_disputes(_ctx(), username=current_user.username,
                                      include_closed=request.args.get("closed") == "1")
    return render_template("mediation/disputes.html", disputes=rows, closed=request.args.get("closed") == "1")


@bp.get("/caseload")
@login_required
def caseload():
    """The centre head's view of every roster mediator's load."""
    rows = mediation_desk.caseload(_ctx(), username=current_user.username)
    return render_template("mediation/caseload.html", rows=rows)


@bp.get("/disputes/<number>")
@login_required
def dispute(number: str):
    """One dispute, for its mediator or the centre head."""
    view = mediation_desk.show_dispute(_ctx(), number=number, username=current_user.username)
    return render_template("mediation/dispute.html", d=view)


@bp.post("/disputes/<number>/recusal")
@login_required
def request_recusal(number: str):
    """Record a party's request that the mediator withdraw (回避)."""
    mediation_desk.request_recusal(_ctx(), number=number, username=current_user.username,
                                   requested_by=request.form.get("requested_by", ""),
                                   grounds=request.form.get("grounds", ""))
    flash(label(T["recusal_recorded"]), "success")
    return redirect(url_for("mediation.dispute", number=number))


@bp.post("/recusals/<id:request_id>")
@login_required
def decide_recusal(request_id: int):
    """The centre head grants or refuses a recusal request."""
    result = mediation_desk.decide_recusal(_ctx(), request_id=request_id, username=current_user.username,
                                           decision=request.form.get("decision", ""),
                                           reason=request.form.get("reason", ""),
                                           replacement=request.form.get("replacement") or None)
    flash(label(T["recusal_decided"]), "success")
    return redirect(url_for("mediation.dispute", number=request.form.get("number") or result.get("number", "")))
