from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from engine.errors import DomainError, Forbidden, Invalid
from engine.models import Role
from engine.services import definitions, units, users
from web.admin import bp
from web.i18n import field_errors, translate_error


def _ctx():
    return current_app.extensions["ipcase"]


@bp.before_request
@login_required
def _admins_only():
    """Every admin page needs the admin role (the services check it again)."""
    if not current_user.has_role("admin"):
        raise Forbidden("Only administrators may do this.")


@bp.get("/")
def index():
    return redirect(url_for("admin.user_list"))


@bp.get("/users")
def user_list():
    rows = users.list_users(_ctx(), unit_code=request.args.get("unit") or None,
                            role=request.args.get("role") or None)
    return render_template("admin/users.html", users=rows, units=units.list_units(_ctx()), roles=list(Role))


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    values, errors, message = dict(request.form), {}, None
    if request.method == "POST":
        try:
            users.create_user(_ctx(), username=request.form.get("username", "").strip(),
                              full_name=request.form.get("full_name", "").strip(),
                              password=request.form.get("password", ""), unit_code=request.form.get("unit", ""),
                              roles=request.form.getlist("roles"), licence_no=request.form.get("licence_no") or None,
                              actor=current_user.username)
        except DomainError as err:
            errors = field_errors(getattr(err, "errors", {}))
            message = translate_error(err)
        else:
            flash(gettext("User %(name)s created.", name=request.form.get("username")), "success")
            return redirect(url_for("admin.user_list"))
    return render_template("admin/user_form.html", new=True, values=values, errors=errors, message=message,
                           units=units.list_units(_ctx()), roles=list(Role)), 422 if message else 200


@bp.route("/users/<username>", methods=["GET", "POST"])
def user_edit(username: str):
    ctx = _ctx()
    message, errors = None, {}
    if request.method == "POST":
        form = request.form
        try:
            if form.get("action") == "password":
                users.set_password(ctx, username=username, password=form.get("password", ""),
                                   actor=current_user.username)
                flash(gettext("Password of %(name)s set.", name=username), "success")
            else:
                users.update_user(ctx, actor=current_user.username, username=username,
                                  full_name=form.get("full_name", ""), unit_code=form.get("unit", ""),
                                  roles=form.getlist("roles"), active=bool(form.get("active")),
                                  licence_no=form.get("licence_no") or None)
                flash(gettext("User %(name)s saved.", name=username), "success")
            return redirect(url_for("admin.user_edit", username=username))
        except Invalid as err:
            message, errors = translate_error(err), field_errors(err.errors)
    view = users.get_user(ctx, actor=current_user.username, username=username)
    values = {**view, "unit": view["unit"]} if not request.form else {**request.form, "roles": request.form.getlist("roles")}
    return render_template("admin/user_form.html", new=False, user=view, values=values, errors=errors,
                           message=message, units=units.list_units(ctx), roles=list(Role)), 422 if message else 200


@bp.route("/units", methods=["GET", "POST"])
def unit_list():
    ctx = _ctx()
    message, errors, values = None, {}, {}
    if request.method == "POST":
        values = dict(request.form)
        try:
            units.create_unit(ctx, actor=current_user.username, code=values.get("code", ""),
                              name=values.get("name", ""), number_prefix=values.get("number_prefix", ""),
                              level=values.get("level", ""), parent_code=values.get("parent") or None)
        except DomainError as err:
            message, errors = translate_error(err), field_errors(getattr(err, "errors", {}))
        else:
            flash(gettext("Unit %(code)s created.", code=values.get("code")), "success")
            return redirect(url_for("admin.unit_list"))
    return render_template("admin/units.html", units=units.list_units(ctx), values=values, errors=errors,
                           message=message, levels=units.LEVELS), 422 if message else 200


@bp.route("/workflows", methods=["GET", "POST"])
def workflow_list():
    """Deployed versions; upload a new version (validated, a broken file changes nothing)."""
    ctx = _ctx()
    message = None
    if request.method == "POST":
        upload = request.files.get("file")
        process_id = request.form.get("process_id") or (upload.filename.rsplit(".", 1)[0] if upload else "")
        try:
            done = definitions.upload(ctx, actor=current_user.username, process_id=process_id,
                                      filename=upload.filename if upload else "", xml=upload.read() if upload else b"")
        except Invalid as err:
            message = translate_error(err)
        else:
            if done.created:
                flash(gettext("Deployed %(process)s version %(version)s.", process=done.process_id,
                              version=done.version), "success")
            else:
                flash(gettext("This file is already deployed as %(process)s version %(version)s.",
                              process=done.process_id, version=done.version), "info")
            return redirect(url_for("admin.workflow_list"))
    return render_template("admin/workflows.html", versions=definitions.list_versions(ctx),
                           message=message), 422 if message else 200


@bp.get("/workflows/<process_id>/<id:version>")
def workflow_show(process_id: str, version: int):
    definitions.version_xml(_ctx(), actor=current_user.username, process_id=process_id, version=version)
    return render_template("admin/workflow.html", process_id=process_id, version=version)


@bp.get("/workflows/<process_id>/<id:version>.bpmn")
def workflow_xml(process_id: str, version: int):
    xml = definitions.version_xml(_ctx(), actor=current_user.username, process_id=process_id, version=version)
    return Response(xml, mimetype="application/xml")
