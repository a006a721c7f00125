"""The bureau's units as administrators see and extend them."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from engine.context import Context
from engine.errors import Conflict, Invalid
from engine.models import Unit, User
from engine.services import access, audit, lookups

LEVELS = ("city", "county", "zone")
CODE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


def list_units(ctx: Context) -> list[dict]:
    with ctx.uow() as uow:
        s = uow.session
        counts = dict(s.execute(select(User.unit_id, func.count()).group_by(User.unit_id)).all())
        rows = s.scalars(select(Unit).order_by(Unit.parent_id.is_not(None), Unit.id)).all()
        return [unit_view(u, counts.get(u.id, 0)) for u in rows]


def unit_view(unit: Unit, users: int = 0) -> dict:
    return {"code": unit.code, "name": unit.name, "number_prefix": unit.number_prefix, "level": unit.level,
            "parent": unit.parent.code if unit.parent else None, "users": users}


def create_unit(ctx: Context, *, actor: str, code: str, name: str, number_prefix: str, level: str,
                parent_code: str | None) -> dict:
    code, name, number_prefix = (code or "").strip(), (name or "").strip(), (number_prefix or "").strip()
    errors = {}
    if not CODE.match(code):
        errors["code"] = ["Use 2 to 32 lower-case letters, digits or underscores."]
    if not name or len(name) > 100:
        errors["name"] = ["Required, at most 100 characters."]
    if not number_prefix or len(number_prefix) > 20:
        errors["number_prefix"] = ["Required, at most 20 characters."]
    if level not in LEVELS:
        errors["level"] = ["Unknown level."]
    if errors:
        raise Invalid("The unit has errors: {fields}.", errors=errors, fields=", ".join(sorted(errors)))
    with ctx.uow() as uow:
        s = uow.session
        admin = lookups.user(s, actor)
        access.ensure_admin(admin)
        if s.scalar(select(Unit.id).where(Unit.code == code)):
            raise Conflict("A unit with code {code} already exists.", code=code)
        unit = Unit(code=code, name=name, number_prefix=number_prefix, level=level,
                    parent=lookups.unit(s, parent_code) if parent_code else None)
        s.add(unit)
        s.flush()
        view = unit_view(unit)
        audit.record(s, at=ctx.clock.now(), action="unit.created", actor=admin, after=view)
        uow.commit()
    return view
