"""Users: create, list, passwords (argon2)."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError, InvalidHashError
from sqlalchemy import select

from engine.context import Context
from engine.errors import Conflict, Invalid, NotFound
from engine.models import Role, Unit, User, UserRole
from engine.services import audit, lookups, views

_HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid("A password needs at least {n} characters.", errors={"password": ["too short"]},
                      n=MIN_PASSWORD_LENGTH)
    return _HASHER.hash(password)


def password_matches(user: User, password: str) -> bool:
    try:
        return _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _roles(codes: list[str]) -> list[Role]:
    valid = {r.value for r in Role}
    bad = [c for c in codes if c not in valid]
    if bad or not codes:
        raise Invalid("Unknown or missing roles {bad}; choose from {choices}.", errors={"roles": bad or ["required"]},
                      bad=", ".join(bad), choices=", ".join(sorted(valid)))
    return [Role(c) for c in codes]


def create_user(ctx: Context, *, username: str, full_name: str, password: str, unit_code: str,
                roles: list[str], licence_no: str | None = None, actor: str | None = None) -> dict:
    with ctx.uow() as uow:
        s = uow.session
        now = ctx.clock.now()
        if s.scalar(select(User.id).where(User.username == username)):
            raise Conflict("A user named {username} already exists.", username=username)
        user = User(username=username, full_name=full_name, password_hash=hash_password(password),
                    unit=lookups.unit(s, unit_code), licence_no=licence_no, created_at=now,
                    role_rows=[UserRole(role=r) for r in _roles(roles)])
        s.add(user)
        s.flush()
        admin = lookups.user(s, actor) if actor else None
        if admin is not None:
            from engine.services import access
            access.ensure_admin(admin)
        audit.record(s, at=now, action="user.created", actor=admin, after=views.user_view(user))
        view = views.user_view(user)
        uow.commit()
    return view


def set_password(ctx: Context, *, username: str, password: str, actor: str | None = None) -> None:
    with ctx.uow() as uow:
        s = uow.session
        user = lookups.user(s, username)
        admin = lookups.user(s, actor) if actor else None
        if admin is not None and admin.id != user.id:
            from engine.services import access
            access.ensure_admin(admin)
        user.password_hash = hash_password(password)
        audit.record(s, at=ctx.clock.now(), action="user.password_set", actor=admin, details={"username": username})
        uow.commit()


def list_users(ctx: Context, *, role: str | None = None, unit_code: str | None = None) -> list[dict]:
    with ctx.uow() as uow:
        s = uow.session
        query = select(User).join(Unit).order_by(Unit.code, User.username)
        if role:
            query = query.where(User.role_rows.any(UserRole.role == _roles([role])[0]))
        if unit_code:
            query = query.where(User.unit_id == lookups.unit(s, unit_code).id)
        return [views.user_view(u) for u in s.scalars(query)]


def update_user(ctx: Context, *, actor: str, username: str, full_name: str, unit_code: str, roles: list[str],
                active: bool, licence_no: str | None = None) -> dict:
    """An administrator changes a user's name, unit, roles or active flag (audited with before/after)."""
    from engine.services import access

    with ctx.uow() as uow:
        s = uow.session
        admin = lookups.user(s, actor)
        access.ensure_admin(admin)
        user = s.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound("No user named {username}.", username=username)
        if not full_name or not full_name.strip():
            raise Invalid("A full name is required.", errors={"full_name": ["required"]})
        if user.id == admin.id and (not active or "admin" not in roles):
            raise Invalid("You cannot remove your own administrator role or deactivate yourself.",
                          errors={"roles": ["self"]})
        before = views.user_view(user)
        wanted = set(_roles(roles))
        user.role_rows = [r for r in user.role_rows if r.role in wanted] + \
            [UserRole(role=r) for r in sorted(wanted - user.roles, key=lambda r: r.value)]
        user.full_name, user.unit, user.active = full_name.strip(), lookups.unit(s, unit_code), active
        user.licence_no = licence_no or None
        s.flush()
        after = views.user_view(user)
        audit.record(s, at=ctx.clock.now(), action="user.updated", actor=admin, before=before, after=after)
        uow.commit()
    return after


def get_user(ctx: Context, *, actor: str, username: str) -> dict:
    """A user's details for the admin pages."""
    from engine.services import access

    with ctx.uow() as uow:
        s = uow.session
        access.ensure_admin(lookups.user(s, actor))
        user = s.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound("No user named {username}.", username=username)
        return {**views.user_view(user), "licence_no": user.licence_no}
