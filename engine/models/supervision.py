"""Supervision (督办): orders and replies, in-app notifications, the scheduler's leader lease."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.models.base import Base


class SupervisionOrder(Base):
    """A supervisor's order on a case (执法监督通知): an instruction and a reply deadline."""

    __tablename__ = "supervision_orders"
    __table_args__ = (
        Index("ix_supervision_orders_case", "case_id"),
        Index("ix_supervision_orders_unit_status", "unit_id", "status"),
        # The sweep for overdue orders.
        Index("ix_supervision_orders_next_check_at", "next_check_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))  # the handling unit
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime]
    instruction: Mapped[str] = mapped_column(Text)
    reply_due: Mapped[date] = mapped_column(Date)
    reply_due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | replied | closed
    next_check_at: Mapped[Optional[datetime]]
    escalated_at: Mapped[Optional[datetime]]
    closed_at: Mapped[Optional[datetime]]

    replies: Mapped[list["SupervisionReply"]] = relationship(order_by="SupervisionReply.id")


class SupervisionReply(Base):
    """The handling unit head's answer: progress so far and the planned completion date."""

    __tablename__ = "supervision_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("supervision_orders.id"), index=True)
    replied_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    replied_at: Mapped[datetime]
    progress: Mapped[str] = mapped_column(Text)
    planned_date: Mapped[Optional[date]] = mapped_column(Date)


class Notification(Base):
    """An in-app message (also mailed when SMTP is configured). `dedup` makes each warning,
    breach or order notice exist once per recipient, whoever and however often sends it."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at", "id"),
                      Index("ix_notifications_unsent", "emailed_at", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    case_id: Mapped[Optional[int]] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(20))  # warning | breach | escalation | order | reply | order_overdue | digest
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    dedup: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime]
    read_at: Mapped[Optional[datetime]]
    emailed_at: Mapped[Optional[datetime]]


class SchedulerLease(Base):
    """The leader lease: the scheduler holding an unexpired row acts; the others wait.

    Renewed by the holder every few seconds; a crashed leader's lease expires and another
    process takes over. Nothing else a second process would need lives in memory.
    """

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[Optional[str]] = mapped_column(String(120))
    acquired_at: Mapped[Optional[datetime]]
    expires_at: Mapped[Optional[datetime]]


class JobRun(Base):
    """The last completed run of each scheduler job (for catch-up and the admin page)."""

    __tablename__ = "scheduler_job_runs"

    job_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_run_at: Mapped[datetime]
    last_result: Mapped[Optional[dict]]
