"""Units (the bureau's tree), users and their roles."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.models.base import Base


class Role(str, enum.Enum):
    OFFICER = "officer"                # 执法人员
    LEGAL_REVIEWER = "legal_reviewer"  # 法制审核
    UNIT_HEAD = "unit_head"            # 负责人
    MEDIATOR = "mediator"              # 调解员
    MEDIATION_HEAD = "mediation_head"  # 调解中心负责人
    SUPERVISOR = "supervisor"          # 督办
    ADMIN = "admin"


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    # Prefix of document numbers, e.g. 泰岱市监 for 岱岳区.
    number_prefix: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(10))  # city | county | zone
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("units.id"))

    parent: Mapped[Optional["Unit"]] = relationship(remote_side=[id])


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(String(10), default="zh")
    # Enforcement licence number (执法证号), required on filing forms.
    licence_no: Mapped[Optional[str]] = mapped_column(String(40))
    created_at: Mapped[datetime]

    unit: Mapped[Unit] = relationship()
    role_rows: Mapped[list["UserRole"]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def roles(self) -> set[Role]:
        return {r.role for r in self.role_rows}

    def has_role(self, role: Role | str) -> bool:
        return Role(role) in self.roles


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20,
                                            values_callable=lambda e: [m.value for m in e]))
