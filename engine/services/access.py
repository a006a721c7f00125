"""Who may see and act on what: unit scope and roles."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Forbidden
from engine.models import HumanTask, Role, Unit, User

CITY_WIDE_ROLES = {Role.SUPERVISOR, Role.ADMIN}


def visible_unit_ids(session: Session, user: User) -> set[int]:
    """The user's unit and, for city-level supervisors and admins, every unit below it."""
    ids = {user.unit_id}
    if user.roles & CITY_WIDE_ROLES:
        frontier = {user.unit_id}
        while frontier:
            children = set(session.scalars(select(Unit.id).where(Unit.parent_id.in_(frontier))))
            frontier = children - ids
            ids |= children
    return ids


def can_take(user: User, task: HumanTask) -> bool:
    """A user may claim or complete a task of their role in their unit."""
    return user.unit_id == task.unit_id and user.has_role(task.role)


def ensure_can_complete(user: User, task: HumanTask) -> None:
    if task.assignee_id not in (None, user.id):
        raise Forbidden("Task {task_id} is assigned to someone else.", task_id=task.id)
    if not can_take(user, task):
        raise Forbidden("Task {task_id} needs the role {role} in its unit.", task_id=task.id, role=task.role)


def ensure_admin(user: User) -> None:
    if not user.has_role(Role.ADMIN):
        raise Forbidden("Only administrators may do this.")
