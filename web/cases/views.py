from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, login_required

from engine.errors import Forbidden, Invalid, NotFound
from engine.services import case_pages, cases, transfers, uploads
from web.cases import bp
from web.cases.forms import PARTIES, parse_open_case
from web.i18n import field_errors, label, translate_error


def _ctx():
    return current_app.extensions["ipcase"]


@bp.get("/cases/<number>")
@login_required
def show(number: str):
    """Everything about one case (any of its numbers works)."""
    ctx = _ctx()
    view = case_pages.page(ctx, number, current_user.username)
    timeline = [_with_diff(ctx, e) for e in view["timeline"]]
    return render_template("cases/show.html", case=view, timeline=timeline)


@bp.get("/cases/<number>/diagram/<id:instance_id>.bpmn")
@login_required
def diagram(number: str, instance_id: int):
    """The BPMN XML the case's workflow instance runs on (drawn by bpmn-js on the case page)."""
    xml = case_pages.diagram_xml(_ctx(), number, current_user.username, instance_id)
    return Response(xml, mimetype="application/xml")


@bp.post("/cases/<number>/files")
@login_required
def upload(number: str):
    """Add evidence files to the case."""
    files = [(fs.filename, fs.read()) for fs in request.files.getlist("file") if fs and fs.filename]
    try:
        added = uploads.upload(_ctx(), username=current_user.username, number=number, files=files,
                               max_bytes=current_app.config["UPLOAD_MAX_BYTES"],
                               description=request.form.get("description") or None)
    except Invalid as err:
        flash(translate_error(err), "error")
        return redirect(url_for("cases.show", number=number, _anchor="files"), 303)
    flash(gettext("%(n)s file(s) added.", n=len(added)), "success")
    return redirect(url_for("cases.show", number=number, _anchor="files"), 303)


@bp.get("/files/<id:file_id>")
@login_required
def download(file_id: int):
    """A case file, for users who may see its case."""
    return _send(uploads.download(_ctx(), username=current_user.username, file_id=file_id))


@bp.get("/transfer-packages/<id:package_id>.<any(pdf, zip):part>")
@login_required
def transfer_package(package_id: int, part: str):
    """A transfer package's PDF or ZIP (移送材料), for users who may see its case."""
    found = transfers.package_file(_ctx(), username=current_user.username, package_id=package_id, part=part)
    return _send(found)


def _send(found: dict):
    """A stored file as an attachment, never cached by the browser."""
    response = send_file(found["path"], mimetype=found["media_type"], as_attachment=True,
                         download_name=found["filename"], etag=found["sha256"], max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# Labels of the keys non-form events keep in before/after.
EVENT_LABELS = {"assignee": lazy_gettext("Held by"), "kind": lazy_gettext("Kind"), "number": lazy_gettext("Number")}


def _with_diff(ctx, event: dict) -> dict:
    """A timeline entry plus the fields its before/after changed, labelled by the step's form."""
    before, after = event.get("before") or {}, event.get("after") or {}
    form = ctx.forms.get(event["form"]) if event.get("form") in ctx.forms else None
    fields = {f.name: f for f in form.fields} if form else {}
    diff = []
    if isinstance(before, dict) and isinstance(after, dict) and event["action"] != "case.opened":
        for key in list(after) + [k for k in before if k not in after]:
            old, new = before.get(key), after.get(key)
            if old == new:
                continue
            f = fields.get(key)
            options = {o.value: o.label for o in f.options} if f else {}
            diff.append({"field": label(f.label) if f else str(EVENT_LABELS.get(key, key)),
                         "before": _option(old, options), "after": _option(new, options)})
    return {**event, "diff": diff}


def _option(value, options: dict):
    if isinstance(value, list):
        return [label(options[v]) if v in options else v for v in value]
    return label(options[value]) if isinstance(value, str) and value in options else value


FIX_MARKED = {"zh": "请更正下面标出的内容。", "en": "Please correct what is marked below."}


@bp.route("/cases/new", methods=["GET", "POST"])
@login_required
def new():
    """Register a case (a lead, or a dispute for mediation) and start its workflow."""
    ctx = _ctx()
    choices = cases.open_choices(ctx, username=current_user.username)
    if not choices["pipelines"]:
        raise Forbidden("{username} has no role that may open cases.", username=current_user.username)
    if request.method == "GET":
        values = {"pipeline": choices["pipelines"][0], "unit": choices["units"][0]["code"]}
        return render_template("cases/new.html", choices=choices, parties=PARTIES, values=values, errors={})
    pipeline, unit_code, fields = parse_open_case(request.form)
    values = {**request.form.to_dict(), **fields, "pipeline": pipeline, "unit": unit_code}
    try:
        view = cases.open_case(ctx, username=current_user.username, pipeline=pipeline, unit_code=unit_code,
                               fields=fields)
    except (Invalid, Forbidden, NotFound) as err:
        errors = field_errors(err.errors) if isinstance(err, Invalid) else {}
        message = FIX_MARKED if errors else translate_error(err)
        status = 403 if isinstance(err, Forbidden) else 422
        return render_template("cases/new.html", choices=choices, parties=PARTIES, values=values, errors=errors,
                               message=label(message)), status
    flash(label({"zh": f"案件 {view['number']} 已登记。", "en": f"Case {view['number']} opened."}), "success")
    return redirect(url_for("cases.show", number=view["number"]), 303)
