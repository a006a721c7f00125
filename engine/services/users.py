"""Users: create, list, passwords (argon2)."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError, InvalidHashError
from sqlalchemy import select

from engine.context import Context
from engine.errors import Conflict, Invalid
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
        audit.record(s, at=now, action="user.created", actor=lookups.user(s, actor) if actor else None,
                     after=views.user_view(user))
        view = views.user_view(user)
        uow.commit()
    return view


def set_password(ctx: Context, *, username: str, password: str, actor: str | None = None) -> None:
    with ctx.uow() as uow:
        s = uow.session
        user = lookups.user(s, username)
        user.password_hash = hash_password(password)
        audit.record(s, at=ctx.clock.now(), action="user.password_set",
                     actor=lookups.user(s, actor) if actor else None, details={"username": username})
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
