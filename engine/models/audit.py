"""The append-only audit log (database triggers refuse UPDATE and DELETE)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.models.base import Base


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_case_at", "case_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))  # None: the system
    case_id: Mapped[Optional[int]] = mapped_column(ForeignKey("cases.id"))
    task_id: Mapped[Optional[int]] = mapped_column(ForeignKey("human_tasks.id"))
    action: Mapped[str] = mapped_column(String(40))
    before: Mapped[Optional[dict]]
    after: Mapped[Optional[dict]]
    details: Mapped[Optional[dict]]
