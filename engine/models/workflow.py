"""Deployed workflow definitions, running instances and their human tasks."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import (ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, column, desc, literal_column,
                        text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.models.base import Base
from engine.models.cases import IP_TYPE_BITS, IPType


class WorkflowDefinition(Base):
    __tablename__ = "workflow_definitions"
    __table_args__ = (
        UniqueConstraint("process_id", "version"),
        UniqueConstraint("process_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    # Deferred: steps find the parsed spec in a per-process cache keyed by content_hash.
    bpmn_xml: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    filename: Mapped[str] = mapped_column(String(200))
    deployed_at: Mapped[datetime]
    deployed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))


class WorkflowInstance(Base):
    __tablename__ = "workflow_instances"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("workflow_definitions.id"))
    status: Mapped[str] = mapped_column(String(20), default="running")  # running | completed
    outcome: Mapped[Optional[str]] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(Text)
    # Optimistic concurrency: every UPDATE checks and bumps it.
    version: Mapped[int] = mapped_column(default=1)
    # Earliest pending BPMN timer, so the scheduler finds due work by index.
    next_timer_at: Mapped[Optional[datetime]] = mapped_column(index=True)
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    completed_at: Mapped[Optional[datetime]]

    definition: Mapped[WorkflowDefinition] = relationship()

    __mapper_args__ = {"version_id_col": version}


OPEN_ROWS = "state = 'open'"
UNCLAIMED_ROWS = "state = 'open' AND assignee_id IS NULL"
# `HumanTask.state == OPEN` renders the literal the partial indexes' predicates name
# (a bound parameter would not match them on SQLite).
OPEN = literal_column("'open'")


def ip_type_condition(ip_type: IPType) -> str:
    """Task rows of cases holding a right of this type, as the partial indexes' predicates say it;
    `has_ip_type` says the same for queries (with literals: planners match predicates by shape)."""
    return f"(ip_types & {IP_TYPE_BITS[ip_type]}) <> 0"


def _partial(name: str, where: str, *columns) -> Index:
    return Index(name, *columns, postgresql_where=text(where), sqlite_where=text(where))


class HumanTask(Base):
    """A user task as a row, so inboxes are SQL queries, never deserialisation."""

    __tablename__ = "human_tasks"
    __table_args__ = (
        Index("ix_human_tasks_instance_state", "instance_id", "state"),
        # A case's tasks, and the latest submission of one form on it.
        Index("ix_human_tasks_case_form", "case_id", "form_id", "id"),
        # Inbox pages (migration 0006): each ends in its sort key and id, so a keyset page
        # stops after one page; partial, so closed history does not grow them. Queries must
        # say state = 'open' literally (OPEN) for the planners to match the predicate.
        _partial("ix_human_tasks_my_due", OPEN_ROWS, "assignee_id", "due_at", "id"),
        _partial("ix_human_tasks_my_created", OPEN_ROWS, "assignee_id", "created_at", "id"),
        _partial("ix_human_tasks_group_due", UNCLAIMED_ROWS, "unit_id", "role", "due_at", "id"),
        _partial("ix_human_tasks_group_created", UNCLAIMED_ROWS, "unit_id", "role", "created_at", "id"),
        _partial("ix_human_tasks_group_step", UNCLAIMED_ROWS, "unit_id", "role", "bpmn_id", "due_at", "id"),
        # Priority sort (migration 0007): priority DESC, then due date and id ascending.
        _partial("ix_human_tasks_my_priority", OPEN_ROWS, "assignee_id", desc(column("priority")), "due_at", "id"),
        _partial("ix_human_tasks_group_priority", UNCLAIMED_ROWS, "unit_id", "role", desc(column("priority")),
                 "due_at", "id"),
        Index("ix_human_tasks_completed_by", "completed_by_id", "case_id"),
        # Open tasks of the cases a search matched (migration 0007).
        _partial("ix_human_tasks_open_case", OPEN_ROWS, "case_id"),
        # The group inbox filtered by IP type, in due-date order: one per type (migration 0008).
        *(_partial(f"ix_human_tasks_group_due_{t.value}", f"{UNCLAIMED_ROWS} AND {ip_type_condition(t)}",
                   "unit_id", "role", "due_at", "id") for t in IPType),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("workflow_instances.id"))
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    form_id: Mapped[Optional[str]] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    assignee_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(12), default="open")  # open | completed | cancelled
    priority: Mapped[int] = mapped_column(default=0)
    ip_types: Mapped[int] = mapped_column(default=0, server_default=text("0"))  # the case's, when created
    created_at: Mapped[datetime]
    claimed_at: Mapped[Optional[datetime]]
    completed_at: Mapped[Optional[datetime]]
    completed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    due_at: Mapped[Optional[datetime]]
    draft: Mapped[Optional[dict]]
    data: Mapped[Optional[dict]]

    instance: Mapped[WorkflowInstance] = relationship()


def has_ip_type(ip_type: IPType):
    """`ip_type_condition` as a query condition on HumanTask."""
    return HumanTask.ip_types.op("&")(literal_column(str(IP_TYPE_BITS[ip_type]))) != literal_column("0")
