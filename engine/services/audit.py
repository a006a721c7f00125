"""Append audit events in the caller's transaction."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import bindparam, insert
from sqlalchemy.orm import Session

from engine.models import AuditEvent, Case, HumanTask, User
from engine.store.write_through import Write


def record(session: Session, *, at: datetime, action: str, actor: User | None = None,
           case: Case | None = None, task: HumanTask | None = None, before: dict | None = None,
           after: dict | None = None, details: dict | None = None) -> AuditEvent:
    event = AuditEvent(**row(at=at, action=action, actor_id=actor.id if actor else None,
                             case_id=case.id if case else None, task_id=task.id if task else None,
                             before=before, after=after, details=details))
    session.add(event)
    return event


_TABLE = AuditEvent.__table__


def append(session: Session, **values) -> None:
    """Insert one event (columns as for `row`) at once, outside the unit of work: for the step
    path, where the ids it names are already in the database."""
    session.execute(*inserting(**values))


_COLUMNS = ("at", "action", "actor_id", "case_id", "task_id", "before", "after", "details")
_INSERT_RETURNING = insert(_TABLE).values({c: bindparam(f"audit_{c}") for c in _COLUMNS}).returning(_TABLE.c.id)


def inserting(**values) -> Write:
    """The INSERT of one event (columns as for `row`), to send with other writes
    (engine/store/together.py)."""
    return Write(_INSERT_RETURNING, {f"audit_{c}": v for c, v in row(**values).items()})


def row(*, at: datetime, action: str, actor_id: int | None = None, case_id: int | None = None,
        task_id: int | None = None, before: dict | None = None, after: dict | None = None,
        details: dict | None = None) -> dict:
    """The column values of one audit event (for `record`, or many at once for `record_many`)."""
    return {"at": at, "action": action, "actor_id": actor_id, "case_id": case_id, "task_id": task_id,
            "before": before, "after": after, "details": details}


def record_many(session: Session, rows: Iterable[dict]) -> int:
    """Append many events (built by `row`) as one multi-row INSERT; returns how many."""
    rows = list(rows)
    if rows:
        session.execute(insert(AuditEvent.__table__), rows)
    return len(rows)
