"""Open cases and show them."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select

from engine.context import Context
from engine.errors import Forbidden, Invalid, NotFound
from engine.models import Case, CaseNumber, IPRight, IPType, Party, PartyKind, PartyRole, Role, Unit, User
from engine.models.cases import ip_type_mask
from engine import assignment
from engine.services import access, audit, instances, lookups, mediation, numbers, views
from engine.services.case_input import validate_open_case

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

# pipeline -> (registration number kind, roles that may open such a case)
PIPELINES = {
    "enforcement": ("线", {Role.OFFICER}),
    # officers only when referring an enforcement case's civil part (checked by mediation.prepare_case)
    "mediation": ("调", {Role.MEDIATION_HEAD, Role.MEDIATOR, Role.OFFICER}),
}
# pipeline -> fn(session, case, validated fields, actor, now) run before its workflow starts;
# returns the message that starts it (None: a plain start)
BEFORE_START = {
    "mediation": mediation.prepare_case,
}


def _party(role: PartyRole, data: dict | None) -> list[Party]:
    if not data:
        return []
    return [Party(role=role, kind=PartyKind(data["kind"]), name=data["name"], uscc=data.get("uscc"))]


def open_case(ctx: Context, *, username: str, pipeline: str, unit_code: str, fields: dict) -> dict:
    """Register a case, issue its number and start its workflow; returns the case view."""
    if pipeline not in PIPELINES:
        raise Invalid("Unknown pipeline {pipeline}; choose one of {choices}.", errors={"pipeline": ["unknown"]},
                      pipeline=pipeline, choices=", ".join(sorted(PIPELINES)))
    data = validate_open_case(fields)
    kind, opener_roles = PIPELINES[pipeline]
    with ctx.uow() as uow:
        s = uow.session
        now = ctx.clock.now()
        actor = lookups.user(s, username)
        unit = lookups.unit(s, unit_code)
        if unit.id not in access.visible_unit_ids(s, actor):
            raise Forbidden("{username} cannot open cases for unit {unit}.", username=username, unit=unit_code)
        if not actor.roles & opener_roles:
            raise Forbidden("{username} has no role that may open {pipeline} cases.",
                            username=username, pipeline=pipeline)
        number = numbers.next_number(s, unit, now.astimezone(LOCAL_TZ).year, kind)
        case = Case(number=number, pipeline=pipeline, unit=unit, title=data["title"], status="open",
                    is_major=data["is_major"], priority=data["priority"], opened_by_id=actor.id,
                    opened_at=now, details={})
        case.numbers.append(CaseNumber(kind=kind, number=number, issued_by=unit.name, issued_at=now))
        rights = [{"ip_type": data["ip_type"], "number": data["right_number"], "holder": data["right_holder"],
                   "title": data["right_title"]}, *data["extra_rights"]]
        case.rights = [IPRight(ip_type=IPType(r["ip_type"]), number=r.get("number"), holder=r.get("holder"),
                               title=r.get("title")) for r in rights]
        case.ip_types = ip_type_mask(r["ip_type"] for r in rights)
        case.parties = _party(PartyRole.RESPONDENT, data["respondent"]) + \
            _party(PartyRole.COMPLAINANT, data["complainant"])
        s.add(case)
        s.flush()
        audit.record(s, at=now, action="case.opened", actor=actor, case=case, after=views.case_summary(case))
        start_message = BEFORE_START[pipeline](s, case, data, actor, now) if pipeline in BEFORE_START else None
        _, first_tasks = instances.start(ctx, s, case, pipeline, now, actor, message=start_message)
        instances.assign_first_task(first_tasks, actor, now)
        view = views.case_view(s, case)
        uow.commit()
    return view


def open_choices(ctx: Context, *, username: str) -> dict:
    """What the user may open cases as: the pipelines their roles allow and the units in their
    scope (codes and names, their own unit first). Empty lists: they may not open cases."""
    with ctx.uow() as uow:
        s = uow.session
        actor = lookups.user(s, username)
        pipelines = [p for p, (_, roles) in PIPELINES.items() if actor.roles & roles]
        units = s.scalars(select(Unit).where(Unit.id.in_(access.visible_unit_ids(s, actor))).order_by(Unit.id)).all()
        return {"pipelines": pipelines,
                "units": [{"code": u.code, "name": u.name}
                          for u in sorted(units, key=lambda u: u.id != actor.unit_id)] if pipelines else []}


def show_case(ctx: Context, number: str, viewer: str | None = None) -> dict:
    """The case page's content; with a viewer, cases outside their scope do not exist."""
    with ctx.uow() as uow:
        s = uow.session
        case = lookups.case(s, number)
        if viewer is not None:
            user = lookups.user(s, viewer)
            ensure_visible(ctx, s, user, case)
        return views.case_view(s, case)


def ensure_visible(ctx: Context, session, user: User, case: Case) -> None:
    if case.unit_id not in access.visible_unit_ids(session, user) or not assignment.may_see(session, user, case):
        audit.record(session, at=ctx.clock.now(), action="access.denied", actor=user, case=case,
                     details={"number": case.number})
        session.commit()
        raise NotFound("No case numbered {number}.", number=case.number)
