"""Append audit events in the caller's transaction."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from engine.models import AuditEvent, Case, HumanTask, User


def record(session: Session, *, at: datetime, action: str, actor: User | None = None,
           case: Case | None = None, task: HumanTask | None = None, before: dict | None = None,
           after: dict | None = None, details: dict | None = None) -> AuditEvent:
    event = AuditEvent(
        at=at, action=action, actor_id=actor.id if actor else None,
        case_id=case.id if case else None, task_id=task.id if task else None,
        before=before, after=after, details=details,
    )
    session.add(event)
    return event
