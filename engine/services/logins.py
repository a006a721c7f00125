"""Password logins with rate limiting shared by every web worker (the counts live in the database)."""
from __future__ import annotations

from datetime import timedelta
from math import ceil

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import joinedload

from engine.context import Context
from engine.errors import Invalid, TooManyAttempts
from engine.models import LoginAttempt, Unit, User, UserRole
from engine.services import audit, users, views

MAX_FAILURES = 5
WINDOW = timedelta(minutes=1)
KEEP = timedelta(days=1)


def login(ctx: Context, *, username: str, password: str, ip: str) -> dict:
    """Check a password; returns the session view of the user, or raises Invalid / TooManyAttempts.

    More than MAX_FAILURES failures within WINDOW, for the account or for the address,
    block further tries (even with the right password) until the oldest one ages out.
    """
    name = (username or "").strip().lower()[:64]
    ip = (ip or "?")[:45]
    with ctx.uow() as uow:
        s = uow.session
        now = ctx.clock.now()
        since = now - WINDOW
        failures = select(LoginAttempt.at).where(LoginAttempt.at > since, LoginAttempt.succeeded.is_(False))
        by_name = s.scalars(failures.where(LoginAttempt.username == name)).all()
        by_ip = s.scalars(failures.where(LoginAttempt.ip == ip)).all()
        blocking = [sorted(found)[-MAX_FAILURES] for found in (by_name, by_ip) if len(found) >= MAX_FAILURES]
        if blocking:
            wait = max(ceil((max(blocking) + WINDOW - now).total_seconds()), 1)
            raise TooManyAttempts("Too many failed logins. Please wait {seconds} seconds and try again.",
                                  seconds=wait)
        user = s.execute(select(User).options(joinedload(User.unit))
                         .where(func.lower(User.username) == name)).unique().scalar_one_or_none()
        ok = bool(user and user.active and users.password_matches(user, password or ""))
        s.add(LoginAttempt(at=now, username=name, ip=ip, succeeded=ok))
        s.execute(delete(LoginAttempt).where(LoginAttempt.at < now - KEEP))
        if not ok:
            uow.commit()
            raise Invalid("Wrong username or password.", errors={"password": ["Wrong username or password."]})
        audit.record(s, at=now, action="user.logged_in", actor=user, details={"ip": ip})
        view = session_view(user)
        uow.commit()
    return view


def session_view(user: User) -> dict:
    """What a web session keeps of its user; `session_id` changes with the password."""
    return {**views.user_view(user), "id": user.id, "locale": user.locale,
            "session_id": _session_id(user.id, user.password_hash)}


def _session_id(user_id: int, password_hash: str) -> str:
    return f"{user_id}:{password_hash[-12:]}"


# One statement per request, built once: the user with their unit and a row per role. Plain
# rows, not ORM objects: every request asks it, and the view needs nothing else of the user.
_USERS, _UNITS, _ROLES = User.__table__, Unit.__table__, UserRole.__table__
_SESSION_USER = (select(_USERS.c.id, _USERS.c.username, _USERS.c.full_name, _USERS.c.password_hash,
                        _USERS.c.active, _USERS.c.locale, _UNITS.c.code, _UNITS.c.name, _ROLES.c.role)
                 .select_from(_USERS.join(_UNITS, _UNITS.c.id == _USERS.c.unit_id)
                              .outerjoin(_ROLES, _ROLES.c.user_id == _USERS.c.id))
                 .where(_USERS.c.id == bindparam("user_id")))


def session_user(ctx: Context, session_id: str) -> dict | None:
    """The user behind a session id (as `session_view` gives it), or None once the user is
    inactive or changed their password."""
    user_id, _, _ = (session_id or "").partition(":")
    if not user_id.isdigit():
        return None
    with ctx.lookup_connection() as conn:
        rows = conn.execute(_SESSION_USER, {"user_id": int(user_id)}).all()
    if not rows or not rows[0].active or _session_id(rows[0].id, rows[0].password_hash) != session_id:
        return None
    user = rows[0]
    return {"username": user.username, "full_name": user.full_name, "unit": user.code, "unit_name": user.name,
            "roles": sorted(r.role.value for r in rows if r.role is not None), "active": True,
            "id": user.id, "locale": user.locale, "session_id": session_id}
