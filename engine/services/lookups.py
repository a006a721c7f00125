"""Load-or-NotFound helpers shared by the services."""
from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from engine.errors import NotFound
from engine.models import Case, CaseNumber, HumanTask, Unit, User


_USER_WITH_ROLES = select(User).options(joinedload(User.role_rows)).where(User.username == bindparam("username"))


def user(session: Session, username: str) -> User:
    found = session.execute(_USER_WITH_ROLES, {"username": username}).unique().scalar_one_or_none()
    if found is None or not found.active:
        raise NotFound("No active user named {username}.", username=username)
    return found


def unit(session: Session, code: str) -> Unit:
    found = session.scalar(select(Unit).where(Unit.code == code))
    if found is None:
        raise NotFound("No unit with code {code}.", code=code)
    return found


def case(session: Session, number: str) -> Case:
    """A case by any of its numbers (registration, filing, another body's)."""
    found = session.scalar(select(Case).where(Case.number == number))
    if found is None:
        found = session.scalar(select(Case).join(CaseNumber).where(CaseNumber.number == number))
    if found is None:
        raise NotFound("No case numbered {number}.", number=number)
    return found


def task(session: Session, task_id: int) -> HumanTask:
    found = session.get(HumanTask, task_id)
    if found is None:
        raise NotFound("No task {task_id}.", task_id=task_id)
    return found
