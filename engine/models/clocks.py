"""Statutory clocks per case, their history, extension requests, and the holiday table."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.models.base import Base

OPEN_STATES = ("running", "paused", "extended")


class Holiday(Base):
    """An admin-maintained day override (the State Council's arrangement for a year the
    chinese_calendar package does not cover yet): a holiday, or a make-up working day."""

    __tablename__ = "holidays"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # holiday | workday
    name: Mapped[str] = mapped_column(String(100))
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class CaseClock(Base):
    """One statutory time limit running on one case (a catalogue entry in workflows/clocks.yaml)."""

    __tablename__ = "clocks"
    __table_args__ = (
        # The sweep's only query: the next moment a clock needs attention (warning, breach,
        # escalation); NULL when nothing is pending (met, paused, escalated).
        Index("ix_clocks_next_check_at", "next_check_at"),
        Index("ix_clocks_case_state", "case_id", "state"),
        # Holiday edits recompute the open clocks whose window covers the edited day.
        Index("ix_clocks_state_due_date", "state", "due_date"),
        # Dashboard counts by unit.
        Index("ix_clocks_unit_state", "unit_id", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    rule: Mapped[str] = mapped_column(String(64))       # catalogue id
    pipeline: Mapped[str] = mapped_column(String(20))
    # running | paused | extended (running, with an approved extension) | met | breached | cancelled
    state: Mapped[str] = mapped_column(String(12), default="running")
    length: Mapped[int]
    unit: Mapped[str] = mapped_column(String(16))       # working_days | calendar_days | months
    extension: Mapped[int] = mapped_column(default=0)
    start_date: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime]
    due_date: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime]                            # end of the due day, Asia/Shanghai
    warn_at: Mapped[Optional[datetime]]
    next_check_at: Mapped[Optional[datetime]]
    paused_since: Mapped[Optional[date]] = mapped_column(Date)
    pause_reason: Mapped[Optional[str]] = mapped_column(String(40))
    warned_at: Mapped[Optional[datetime]]
    breached_at: Mapped[Optional[datetime]]
    escalated_at: Mapped[Optional[datetime]]
    stopped_at: Mapped[Optional[datetime]]
    # The DueDate explanation (rule, days counted, holidays skipped, pauses, extensions).
    explanation: Mapped[dict] = mapped_column(default=dict)
    # A year the computation crossed without holiday data: shown as a warning wherever the clock is.
    calendar_gap: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime]

    pauses: Mapped[list["ClockPause"]] = relationship(order_by="ClockPause.id", back_populates="clock")


class ClockPause(Base):
    """A period not counted (appraisal, testing, hearing, public notice, suspension, …)."""

    __tablename__ = "clock_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    clock_id: Mapped[int] = mapped_column(ForeignKey("clocks.id"), index=True)
    reason: Mapped[str] = mapped_column(String(40))
    evidence: Mapped[Optional[str]] = mapped_column(Text)
    first_day: Mapped[date] = mapped_column(Date)         # first day not counted
    last_day: Mapped[Optional[date]] = mapped_column(Date)  # None: still paused
    paused_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    resumed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]

    clock: Mapped[CaseClock] = relationship(back_populates="pauses")


class ClockExtension(Base):
    """An officer's request for more time; approved or refused by the catalogue's approver role."""

    __tablename__ = "clock_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    clock_id: Mapped[int] = mapped_column(ForeignKey("clocks.id"), index=True)
    length: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | approved | refused
    requested_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime]
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[Optional[datetime]]
    decision_note: Mapped[Optional[str]] = mapped_column(Text)


class ClockEvent(Base):
    """What happened to a clock while it ran: paused, resumed, extension requested and decided,
    recomputed, warned, breached, escalated. Its start and stop are the clock row's own
    started_at, stopped_at and state (written by the workflow step that started or stopped
    it, which the case's audit log records). Clocks started before 2026-12-07 also have
    them as events "started", "met" and "cancelled"."""

    __tablename__ = "clock_events"
    # The unique key leads with clock_id: it also serves a clock's events (migration 0010).
    __table_args__ = (UniqueConstraint("clock_id", "kind", "dedup"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clock_id: Mapped[int] = mapped_column(ForeignKey("clocks.id"))
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    due_before: Mapped[Optional[date]] = mapped_column(Date)
    due_after: Mapped[Optional[date]] = mapped_column(Date)
    # Events that must happen once per clock (warned, breached, escalated) carry dedup="once",
    # so a second scheduler or a retried sweep cannot record them twice; others leave it NULL.
    dedup: Mapped[Optional[str]] = mapped_column(String(40))
    details: Mapped[Optional[dict]]

    clock: Mapped[CaseClock] = relationship()
