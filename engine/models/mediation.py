"""Mediation: the mediator roster (profiles, absences, declared relationships) and each
dispute's mediation record (source, court details, assigned mediator, clocks, recusals)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.models.base import Base, JSONDoc
from engine.models.org import Unit, User
from engine.models.workflow import WorkflowInstance


class MediatorProfile(Base):
    """A mediator on the roster: what they know, speak and can carry."""

    __tablename__ = "mediator_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    organisation: Mapped[str] = mapped_column(String(200))
    # IP types (patent, trademark, copyright, trade_secret, geographic_indication).
    expertise: Mapped[list] = mapped_column(JSONDoc, default=list)
    technical_fields: Mapped[list] = mapped_column(JSONDoc, default=list)
    languages: Mapped[list] = mapped_column(JSONDoc, default=list)
    max_active_cases: Mapped[int] = mapped_column(default=5)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    absences: Mapped[list["MediatorAbsence"]] = relationship(
        back_populates="profile", order_by="MediatorAbsence.starts_on", cascade="all, delete-orphan")
    relationships: Mapped[list["MediatorRelationship"]] = relationship(
        back_populates="profile", order_by="MediatorRelationship.id", cascade="all, delete-orphan")


class MediatorAbsence(Base):
    """A period (inclusive dates, local time) with no new assignments; tasks go to the substitute."""

    __tablename__ = "mediator_absences"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("mediator_profiles.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    substitute_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[Optional[str]] = mapped_column(String(200))
    created_at: Mapped[datetime]

    profile: Mapped[MediatorProfile] = relationship(back_populates="absences")
    substitute: Mapped[Optional[User]] = relationship(foreign_keys=[substitute_id])


class MediatorRelationship(Base):
    """A declared tie (employer, former client, relative's company) that bars mediating for that party."""

    __tablename__ = "mediator_relationships"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("mediator_profiles.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # employer | former_client | relative_company | other
    party_name: Mapped[str] = mapped_column(String(200))
    party_uscc: Mapped[Optional[str]] = mapped_column(String(18), index=True)
    note: Mapped[Optional[str]] = mapped_column(String(500))
    declared_at: Mapped[datetime]

    profile: Mapped[MediatorProfile] = relationship(back_populates="relationships")


class Mediation(Base):
    """One mediation of a case (a case may be mediated more than once, e.g. a referral)."""

    __tablename__ = "mediations"
    __table_args__ = (Index("ix_mediations_mediator_status", "mediator_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    instance_id: Mapped[Optional[int]] = mapped_column(ForeignKey("workflow_instances.id"), unique=True)
    # The unit whose mediation centre handles it (tasks are routed there).
    centre_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    # party | enforcement | court_assigned (委派, before filing) | court_entrusted (委托, after filing)
    source: Mapped[str] = mapped_column(String(20), default="party")
    court_name: Mapped[Optional[str]] = mapped_column(String(100))
    court_case_number: Mapped[Optional[str]] = mapped_column(String(80))
    court_deadline: Mapped[Optional[date]]
    court_procedure: Mapped[Optional[str]] = mapped_column(String(20))  # ordinary | simplified
    referred_from: Mapped[Optional[str]] = mapped_column(String(60))  # the enforcement case's number
    # intake | consent | assigned | mediating | agreement | closed
    status: Mapped[str] = mapped_column(String(20), default="intake")
    outcome: Mapped[Optional[str]] = mapped_column(String(64))  # the end event's id once closed
    mediator_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[Optional[datetime]]
    accepted_at: Mapped[Optional[datetime]]
    # The clock rule of the mediation period (委派 30 CD, 委托 15/7 CD, people's mediation 1 month);
    # it runs as a case clock (engine/services/clocks.py, workflows/clocks/mediation.yaml).
    clock: Mapped[Optional[str]] = mapped_column(String(60))
    agreement_text: Mapped[Optional[str]] = mapped_column(Text)
    agreement_signed_on: Mapped[Optional[date]]
    opened_at: Mapped[datetime]
    closed_at: Mapped[Optional[datetime]]
    details: Mapped[dict] = mapped_column(default=dict)

    centre_unit: Mapped[Unit] = relationship()
    instance: Mapped[Optional["WorkflowInstance"]] = relationship()
    mediator: Mapped[Optional[User]] = relationship(foreign_keys=[mediator_id])
    assignments: Mapped[list["MediationAssignment"]] = relationship(
        back_populates="mediation", order_by="MediationAssignment.id", cascade="all, delete-orphan")


class MediationAssignment(Base):
    """Every time a mediator was put on a dispute, and how it ended (history for suggestions)."""

    __tablename__ = "mediation_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    mediation_id: Mapped[int] = mapped_column(ForeignKey("mediations.id", ondelete="CASCADE"), index=True)
    mediator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # designated | party_choice | suggested | reassigned_after_decline | recusal
    method: Mapped[str] = mapped_column(String(30))
    assigned_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))  # None: the system
    assigned_at: Mapped[datetime]
    # pending | accepted | declined | recused | replaced
    response: Mapped[str] = mapped_column(String(20), default="pending")
    responded_at: Mapped[Optional[datetime]]
    reason: Mapped[Optional[str]] = mapped_column(String(500))

    mediation: Mapped[Mediation] = relationship(back_populates="assignments")


class RecusalRequest(Base):
    """A party's request that the mediator withdraw (回避), decided by the centre head."""

    __tablename__ = "mediation_recusals"

    id: Mapped[int] = mapped_column(primary_key=True)
    mediation_id: Mapped[int] = mapped_column(ForeignKey("mediations.id", ondelete="CASCADE"), index=True)
    mediator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_by: Mapped[str] = mapped_column(String(200))  # the party's name
    grounds: Mapped[str] = mapped_column(String(1000))
    requested_at: Mapped[datetime]
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[Optional[str]] = mapped_column(String(20))  # granted | refused
    decision_reason: Mapped[Optional[str]] = mapped_column(String(1000))
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[Optional[datetime]]
