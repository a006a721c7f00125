"""Assignment rules: who gets a new task row, beyond the default (role + case unit, claimable).

By default a task goes to its role in the case's unit and anyone with that role there may
claim it. A rule registered for a (process, role) pair may route the row elsewhere: to
another unit, straight to one person (`assignee_id`), with a due date. A rule that
*pins* its role means the task belongs to that person only: it is never offered to the
group, cannot be released or claimed, and only the pipeline's own services move it
(e.g. mediator tasks go to the dispute's assigned mediator and nobody else).

Rules may also narrow who sees a case of their pipeline (`visibility`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Optional, Protocol

from sqlalchemy.orm import Session


@dataclass
class Routing:
    """Where a new task row goes; None fields keep the default."""

    unit_id: Optional[int] = None
    assignee_id: Optional[int] = None
    due_at: Optional[datetime] = None


class Rule(Protocol):
    def __call__(self, session: Session, case, instance, row, now: datetime) -> Routing | None: ...


@dataclass(frozen=True)
class _Entry:
    rule: Rule
    pinned: bool


_RULES: dict[tuple[str, str], _Entry] = {}
# pipeline -> fn(session, user, case) -> bool | None (None: no opinion, the default applies)
_VISIBILITY: dict[str, Callable] = {}
# fn(user) -> SQL condition on HumanTask rows the user may see in task lists, or None
_TASK_SCOPES: list[Callable] = []


def register(process_id: str, role: str, *, pinned: bool = False) -> Callable[[Rule], Rule]:
    """Decorator: route new tasks of `role` in process `process_id` with the decorated rule."""
    def decorate(rule: Rule) -> Rule:
        _RULES[(process_id, role)] = _Entry(rule, pinned)
        return rule
    return decorate


def register_visibility(pipeline: str) -> Callable:
    def decorate(fn):
        _VISIBILITY[pipeline] = fn
        return fn
    return decorate


def register_task_scope(fn: Callable) -> Callable:
    """Decorator: a condition narrowing which task rows a user sees in lists (the SQL side of `may_see`)."""
    _TASK_SCOPES.append(fn)
    return fn


def task_scope(user) -> list:
    """Conditions to add to a task-list query for `user` (empty: no rule narrows it)."""
    return [c for c in (fn(user) for fn in _TASK_SCOPES) if c is not None]


def apply(session: Session, process_id: str, case, instance, row, now: datetime) -> None:
    """Route a new, not yet flushed task row of `process_id` through the rule for its process and role."""
    entry = _RULES.get((process_id, row.role))
    if entry is None:
        return
    routing = entry.rule(session, case, instance, row, now)
    if routing is None:
        return
    if routing.unit_id is not None:
        row.unit_id = routing.unit_id
    if routing.assignee_id is not None:
        row.assignee_id = routing.assignee_id
        row.claimed_at = now
    if routing.due_at is not None and row.due_at is None:
        row.due_at = routing.due_at


def is_pinned(task) -> bool:
    """True when the task is held by exactly one person by rule (no claim, release or hand-over).
    Only a role that some process pins needs the task's process, which takes loading its instance."""
    if not any(entry.pinned and role == task.role for (_, role), entry in _RULES.items()):
        return False
    entry = _RULES.get((task.instance.definition.process_id, task.role))
    return bool(entry and entry.pinned)


def may_see(session: Session, user, case) -> bool:
    """Whether a pipeline rule lets `user` see `case` (True when no rule has an opinion)."""
    fn = _VISIBILITY.get(case.pipeline)
    if fn is None:
        return True
    verdict = fn(session, user, case)
    return True if verdict is None else bool(verdict)
