"""Cases, their numbers, IP rights and parties."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.models.base import Base
from engine.models.org import Unit


def _enum(cls):
    return Enum(cls, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])


class IPType(str, enum.Enum):
    PATENT = "patent"
    TRADEMARK = "trademark"
    COPYRIGHT = "copyright"
    TRADE_SECRET = "trade_secret"
    GEOGRAPHIC_INDICATION = "geographic_indication"


# A case's IP types as one integer (`cases.ip_types`, copied to its task rows), so the inbox's
# IP type filter is a partial index range, not a probe into ip_rights per task (migration 0008).
IP_TYPE_BITS = {t: 1 << i for i, t in enumerate(IPType)}


def ip_type_mask(types) -> int:
    """The bits of the given IP types (members or values), ORed."""
    mask = 0
    for t in types:
        mask |= IP_TYPE_BITS[IPType(t)]
    return mask


class PartyRole(str, enum.Enum):
    COMPLAINANT = "complainant"
    RESPONDENT = "respondent"
    THIRD_PARTY = "third_party"


class PartyKind(str, enum.Enum):
    PERSON = "person"
    ENTERPRISE = "enterprise"


def postgresql_only(index: Index) -> Index:
    """`ddl_if` tells DDL, `info` tells schema comparisons (tests/migrations)."""
    index.info["dialect"] = "postgresql"
    return index.ddl_if(dialect="postgresql")


def trigram_index(name: str, column: str) -> Index:
    """A pg_trgm index for `LIKE '%…%'` searches of three characters or more (migration 0007)."""
    return postgresql_only(Index(name, column, postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"}))


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_unit_status", "unit_id", "status"),
                      trigram_index("ix_cases_number_trgm", "number"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # The registration number given when the case was opened; every later number
    # (filing number, a court's or police number) is a CaseNumber row as well.
    number: Mapped[str] = mapped_column(String(60), unique=True)
    pipeline: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    title: Mapped[str] = mapped_column(String(200))
    # open | closed | not_filed | withdrawn | transfer_requested | ... (the outcome once ended)
    status: Mapped[str] = mapped_column(String(30), default="open")
    # bpmn id of the step the case is at (the newest open task), for filters.
    stage: Mapped[Optional[str]] = mapped_column(String(64))
    is_major: Mapped[bool] = mapped_column(default=False)
    priority: Mapped[int] = mapped_column(default=0)
    ip_types: Mapped[int] = mapped_column(default=0, server_default=text("0"))  # ip_type_mask of its rights
    opened_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    opened_at: Mapped[datetime]
    closed_at: Mapped[Optional[datetime]]
    details: Mapped[dict] = mapped_column(default=dict)

    unit: Mapped[Unit] = relationship()
    numbers: Mapped[list["CaseNumber"]] = relationship(back_populates="case", order_by="CaseNumber.id")
    rights: Mapped[list["IPRight"]] = relationship(back_populates="case", order_by="IPRight.id",
                                                    cascade="all, delete-orphan")
    parties: Mapped[list["Party"]] = relationship(back_populates="case", order_by="Party.id",
                                                  cascade="all, delete-orphan")


class CaseNumber(Base):
    """Every number a case carries: ours (registration, filing) and other bodies'."""

    __tablename__ = "case_numbers"
    __table_args__ = (trigram_index("ix_case_numbers_number_trgm", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    number: Mapped[str] = mapped_column(String(80), unique=True)
    issued_by: Mapped[str] = mapped_column(String(100))
    issued_at: Mapped[datetime]

    case: Mapped[Case] = relationship(back_populates="numbers")


class NumberCounter(Base):
    """Last number issued per unit, year and kind: gap-free because it commits with the case."""

    __tablename__ = "number_counters"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class IPRight(Base):
    __tablename__ = "ip_rights"
    # A case's rights, and the inbox's IP type filter answered from the index alone.
    __table_args__ = (Index("ix_ip_rights_case_type", "case_id", "ip_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    ip_type: Mapped[IPType] = mapped_column(_enum(IPType), index=True)
    number: Mapped[Optional[str]] = mapped_column(String(60))
    holder: Mapped[Optional[str]] = mapped_column(String(200))
    title: Mapped[Optional[str]] = mapped_column(String(200))

    case: Mapped[Case] = relationship(back_populates="rights")


class Party(Base):
    __tablename__ = "parties"
    __table_args__ = (
        trigram_index("ix_parties_name_trgm", "name"),
        # Two-character searches, which hold no trigram (migration 0007 defines the function).
        postgresql_only(Index("ix_parties_name_bigrams", text("ipcase_bigrams(name)"), postgresql_using="gin")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    role: Mapped[PartyRole] = mapped_column(_enum(PartyRole))
    kind: Mapped[PartyKind] = mapped_column(_enum(PartyKind))
    name: Mapped[str] = mapped_column(String(200), index=True)
    # 统一社会信用代码 (enterprises), validated by its check character.
    uscc: Mapped[Optional[str]] = mapped_column(String(18), index=True)
    contact: Mapped[Optional[str]] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="parties")
