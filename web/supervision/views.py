from __future__ import annotations

from datetime import date

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engine.clocks.catalogue import catalogue
from engine.errors import DomainError, Forbidden, Invalid
from engine.services import clocks, holidays, notifications, supervision
from web.i18n import label, translate_error
from web.supervision import bp

T = {  # page texts, zh and en
    "paused": {"zh": "期限已暂停计算。", "en": "The clock is paused."},
    "resumed": {"zh": "期限已恢复计算。", "en": "The clock runs again."},
    "requested": {"zh": "延期申请已提交，待审批。", "en": "Extension requested; waiting for approval."},
    "decided": {"zh": "延期申请已处理。", "en": "Extension request decided."},
    "order_issued": {"zh": "督办通知已发出。", "en": "Supervision order issued."},
    "replied": {"zh": "已回复督办。", "en": "Reply recorded."},
    "closed": {"zh": "督办已办结。", "en": "Order closed."},
    "holiday_saved": {"zh": "节假日已保存，{n} 个期限已重新计算。", "en": "Day saved; {n} clock(s) recomputed."},
    "holiday_removed": {"zh": "已删除，{n} 个期限已重新计算。", "en": "Day removed; {n} clock(s) recomputed."},
    "bad_date": {"zh": "日期格式应为 2026-10-08。", "en": "Dates look like 2026-10-08."},
}


def _ctx():
    return current_app.extensions["ipcase"]


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(label(T["bad_date"])) from None


def _act(fn, done: str, target: str):
    """Run a service for a form post; flash its result or the error, back to `target`."""
    try:
        result = fn()
    except DomainError as err:
        flash(translate_error(err), "error")
    else:
        flash(label(T[done]).format(n=len(result.get("recomputed", []))) if isinstance(result, dict) else
              label(T[done]), "success")
    return redirect(target)


# --- dashboard ---------------------------------------------------------------------------------

@bp.get("/")
@login_required
def dashboard():
    """Overdue and at-risk counts by unit, pipeline, step and age (supervisors, unit heads)."""
    board = supervision.dashboard(_ctx(), username=current_user.username, unit=request.args.get("unit") or None,
                                  pipeline=request.args.get("pipeline") or None)
    return render_template("supervision/dashboard.html", board=board)


@bp.get("/cases")
@login_required
def drill_down():
    """The cases behind a count; `format=csv|xlsx` exports them."""
    args = {k: request.args.get(k) or None for k in ("unit", "pipeline", "step", "bucket", "rule")}
    status = request.args.get("status", "overdue")
    rows = supervision.drill_down(_ctx(), username=current_user.username, status=status, **args)
    fmt = request.args.get("format")
    if fmt == "csv":
        return Response(supervision.export_csv(rows), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename=supervision-{status}.csv"})
    if fmt == "xlsx":
        return Response(supervision.export_xlsx(rows),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f"attachment; filename=supervision-{status}.xlsx"})
    return render_template("supervision/cases.html", rows=rows, status=status, args=args)


# --- orders --------------------------------------------------------------------------------------

@bp.get("/orders")
@login_required
def orders():
    rows = supervision.list_orders(_ctx(), username=current_user.username, status=request.args.get("status") or None)
    return render_template("supervision/orders.html", orders=rows)


@bp.post("/orders")
@login_required
def issue_order():
    number = request.form.get("number", "")
    return _act(lambda: supervision.issue_order(_ctx(), username=current_user.username, number=number,
                                                instruction=request.form.get("instruction", ""),
                                                reply_due=_date(request.form.get("reply_due"))),
                "order_issued", request.form.get("next") or url_for("supervision.orders"))


@bp.post("/orders/<id:order_id>/reply")
@login_required
def reply_order(order_id: int):
    return _act(lambda: supervision.reply_order(_ctx(), username=current_user.username, order_id=order_id,
                                                progress=request.form.get("progress", ""),
                                                planned_date=_date(request.form.get("planned_date"))),
                "replied", url_for("supervision.orders"))


@bp.post("/orders/<id:order_id>/close")
@login_required
def close_order(order_id: int):
    return _act(lambda: supervision.close_order(_ctx(), username=current_user.username, order_id=order_id,
                                                note=request.form.get("note", "")),
                "closed", url_for("supervision.orders"))


# --- notifications ---------------------------------------------------------------------------------

@bp.get("/notifications")
@login_required
def notification_list():
    rows = notifications.list_for(_ctx(), username=current_user.username)
    return render_template("supervision/notifications.html", rows=rows)


@bp.post("/notifications/read")
@login_required
def notifications_read():
    notifications.mark_read(_ctx(), username=current_user.username,
                            notification_id=int(request.form["id"]) if request.form.get("id") else None)
    return redirect(url_for("supervision.notification_list"))


# --- a case's clocks -----------------------------------------------------------------------------------

@bp.get("/clocks/<path:number>")
@login_required
def case_clocks(number: str):
    """The case's clocks, each due date explained, with pause / resume / extension forms."""
    ctx = _ctx()
    rows = clocks.show(ctx, number, viewer=current_user.username)
    pending = {e["id"]: e for e in clocks.pending_extensions(ctx, username=current_user.username)
               if e["case"] == number} if current_user.has_role("unit_head") else {}
    reasons = catalogue().pause_reasons
    return render_template("supervision/clocks.html", number=number, clocks=rows, pending=pending, reasons=reasons,
                           orders=[o for o in supervision.list_orders(ctx, username=current_user.username)
                                   if o["case"] == number])


def _back(number: str) -> str:
    return url_for("supervision.case_clocks", number=number)


@bp.post("/clocks/<path:number>/<rule>/pause")
@login_required
def pause(number: str, rule: str):
    return _act(lambda: clocks.pause(_ctx(), username=current_user.username, number=number, rule=rule,
                                     reason=request.form.get("reason", ""),
                                     evidence=request.form.get("evidence") or None,
                                     first_day=_date(request.form.get("from"))), "paused", _back(number))


@bp.post("/clocks/<path:number>/<rule>/resume")
@login_required
def resume(number: str, rule: str):
    return _act(lambda: clocks.resume(_ctx(), username=current_user.username, number=number, rule=rule,
                                      evidence=request.form.get("evidence") or None,
                                      on=_date(request.form.get("on"))), "resumed", _back(number))


@bp.post("/clocks/<path:number>/<rule>/extend")
@login_required
def extend(number: str, rule: str):
    def request_it():
        days = request.form.get("days", "")
        if not days.isdigit():
            raise Invalid("An extension is a positive number of days.", errors={"length": ["not positive"]})
        return clocks.request_extension(_ctx(), username=current_user.username, number=number, rule=rule,
                                        length=int(days), reason=request.form.get("reason", ""))
    return _act(request_it, "requested", _back(number))


@bp.post("/extensions/<id:extension_id>")
@login_required
def decide(extension_id: int):
    return _act(lambda: clocks.decide_extension(_ctx(), username=current_user.username, extension_id=extension_id,
                                                approve=request.form.get("decision") == "approve",
                                                note=request.form.get("note", "")),
                "decided", request.form.get("next") or url_for("supervision.dashboard"))


# --- holidays (administrators) --------------------------------------------------------------------------

@bp.route("/holidays", methods=["GET", "POST"])
@login_required
def holiday_table():
    """The State Council's arrangement for years chinese_calendar does not cover; edits recompute clocks."""
    if not current_user.has_role("admin"):
        raise Forbidden("Only an administrator may edit the holiday table.")
    ctx = _ctx()
    recomputed = None
    if request.method == "POST":
        try:
            day = _date(request.form.get("day"))
            if request.form.get("action") == "remove":
                result = holidays.remove_day(ctx, username=current_user.username, day=day)
                flash(label(T["holiday_removed"]).format(n=len(result["recomputed"])), "success")
            else:
                result = holidays.set_day(ctx, username=current_user.username, day=day,
                                          kind=request.form.get("kind", "holiday"), name=request.form.get("name", ""))
                flash(label(T["holiday_saved"]).format(n=len(result["recomputed"])), "success")
            recomputed = result["recomputed"]
        except DomainError as err:
            flash(translate_error(err), "error")
    year = request.args.get("year")
    rows = holidays.list_days(ctx, int(year) if year and year.isdigit() else None)
    return render_template("supervision/holidays.html", rows=rows, coverage=holidays.coverage(ctx),
                           recomputed=recomputed)
