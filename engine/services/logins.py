"""Password logins with rate limiting shared by every web worker (the counts live in the database)."""
from __future__ import annotations

from datetime import timedelta
from math import ceil

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import joinedload

from engine.context import Context
from engine.errors import Invalid, TooManyAttempts
from engine.models import LoginAttempt, User
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
            "session_id": f"{user.id}:{user.password_hash[-12:]}"}


# One statement per request: the user with their unit and roles (built once, like lookups.user's).
_SESSION_USER = (select(User).options(joinedload(User.unit, innerjoin=True), joinedload(User.role_rows))
                 .where(User.id == bindparam("user_id")))


def session_user(ctx: Context, session_id: str) -> dict | None:
    """The user behind a session id, or None once the user is inactive or changed their password."""
    user_id, _, _ = (session_id or "").partition(":")
    if not user_id.isdigit():
        return None
    with ctx.lookup() as uow:
        user = uow.session.execute(_SESSION_USER, {"user_id": int(user_id)}).unique().scalar_one_or_none()
        if user is None or not user.active:
            return None
        view = session_view(user)
    return view if view["session_id"] == session_id else None
