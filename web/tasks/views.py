from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from engine.errors import Conflict, Forbidden, Invalid
from engine.services import case_pages, inbox, submissions, tasks, uploads
from web.i18n import field_errors, translate_error
from web.tasks import bp
from web.tasks.forms import display_values, parse


def _ctx():
    return current_app.extensions["ipcase"]


def _render(task_id: int, values=None, errors: dict | None = None, message: str | None = None,
            status: int = 200):
    """The task page; `values` (data, or a function reading it by the form) fill the fields."""
    ctx = _ctx()
    view = inbox.task_page(ctx, username=current_user.username, task_id=task_id)
    form = ctx.forms.get(view["form"])
    if callable(values):
        values = values(form)
    if values is None:
        values = display_values(form, view["draft"] or (view["data"] if view["state"] == "completed" else None))
    files = []
    if any(f.type == "evidence" for f in form.fields):
        files = case_pages.page(ctx, view["case"], current_user.username)["evidence"]
    return render_template("tasks/task.html", task=view, form=form, values=values, errors=errors or {},
                           message=message, files=files, earlier=_earlier(ctx, form, view["earlier"])), status


def _earlier(ctx, form, earlier: dict) -> list[dict]:
    """The earlier answers this step shows read-only (`show` in the form), labelled."""
    out = []
    for path in form.show:
        form_id, _, name = path.partition(".")
        value = (earlier.get(form_id) or {}).get(name)
        label = {"zh": path, "en": path}
        if form_id in ctx.forms:
            source = next((f for f in ctx.forms.get(form_id).fields if f.name == name), None)
            if source is not None:
                label = source.label
                options = {o.value: o.label for o in source.options}
                if isinstance(value, list):
                    value = [options.get(v, v) for v in value]
                elif value in options:
                    value = options[value]
        out.append({"label": label, "value": value})
    return out


@bp.get("/<id:task_id>")
@login_required
def show(task_id: int):
    """The task's form (or its submitted data), with what the user may do."""
    return _render(task_id)


@bp.post("/<id:task_id>")
@login_required
def submit(task_id: int):
    """Save a draft or complete the task; errors come back beside the fields with the input kept."""
    ctx = _ctx()
    data = _posted  # the task service parses the fields by the task's form, which it reads anyway
    try:
        if _has_uploads():
            data = _with_uploads(ctx, task_id)
        if request.form.get("action") == "draft":
            tasks.save_draft(ctx, username=current_user.username, task_id=task_id, data=data)
            flash(gettext("Draft saved."), "success")
            return redirect(url_for("tasks.show", task_id=task_id))
        result = tasks.complete(ctx, username=current_user.username, task_id=task_id, data=data)
    except Invalid as err:
        return _render(task_id, values=data, errors=field_errors(err.errors), message=translate_error(err),
                       status=422)
    except (Conflict, Forbidden) as err:
        # Someone else completed or took the task meanwhile: say so, keep what was typed.
        status = 409 if isinstance(err, Conflict) else 403
        return _render(task_id, values=data, message=translate_error(err), status=status)
    flash(gettext("Step completed: %(name)s.", name=result["task"]["name"]), "success")
    return redirect(url_for("cases.show", number=result["case"]["number"]))


def _posted(form) -> dict:
    """The posted fields as data of `form`."""
    return parse(form, request.form)


def _has_uploads() -> bool:
    return any(fs.filename for fs in request.files.values())


def _with_uploads(ctx, task_id: int) -> dict:
    """The posted data, with the files chosen in its evidence fields added to the case first
    (an upload needs the case, so the task is looked up before the step)."""
    target = submissions.task_target(ctx, username=current_user.username, task_id=task_id)
    form = ctx.forms.get(target["form"])
    data = _posted(form)
    _attach_uploads(form, target["case"], data)
    return data


def _attach_uploads(form, number: str, data: dict) -> None:
    """Files chosen in an evidence field are added to the case first; their ids join the field."""
    for f in form.fields:
        if f.type != "evidence":
            continue
        files = [(fs.filename, fs.read()) for fs in request.files.getlist(f"{f.name}.upload") if fs and fs.filename]
        if not files:
            continue
        try:
            added = uploads.upload(_ctx(), username=current_user.username, number=number, files=files,
                                   max_bytes=current_app.config["UPLOAD_MAX_BYTES"])
        except Invalid as err:
            raise Invalid(err.message, errors={f.name: [translate_error(err)]}, **err.params) from None
        data[f.name] = [*data.get(f.name, []), *(a["id"] for a in added)]


@bp.post("/<id:task_id>/claim")
@login_required
def claim(task_id: int):
    try:
        tasks.claim(_ctx(), username=current_user.username, task_id=task_id)
        flash(gettext("Task claimed."), "success")
    except Conflict as err:
        flash(translate_error(err), "error")
    return redirect(_back(task_id))


@bp.post("/<id:task_id>/unclaim")
@login_required
def unclaim(task_id: int):
    tasks.unclaim(_ctx(), username=current_user.username, task_id=task_id)
    flash(gettext("Task released to the group."), "success")
    return redirect(url_for("inbox.index"))


@bp.post("/<id:task_id>/reassign")
@login_required
def reassign(task_id: int):
    try:
        view = tasks.reassign(_ctx(), username=current_user.username, task_id=task_id,
                              to_username=request.form.get("to", ""), reason=request.form.get("reason", ""))
    except Invalid as err:
        return _render(task_id, message=translate_error(err), errors=field_errors(err.errors), status=422)
    flash(gettext("Task reassigned to %(user)s.", user=view["assignee"]), "success")
    return redirect(url_for("tasks.show", task_id=task_id))


def _back(task_id: int) -> str:
    target = request.form.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else url_for("tasks.show", task_id=task_id)
