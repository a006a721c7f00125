"""Evidence files of a case and the transfer packages built from them."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.models.base import Base, JSONDoc


class EvidenceFile(Base):
    """A file kept for a case (stored under settings.upload_dir, content-addressed by SHA-256)."""

    __tablename__ = "evidence_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    # evidence | inspection_report | appraisal_report | other
    kind: Mapped[str] = mapped_column(String(30), default="evidence")
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    # Relative to settings.upload_dir.
    path: Mapped[str] = mapped_column(String(400))
    description: Mapped[Optional[str]] = mapped_column(String(500))
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime]


class TransferPackage(Base):
    """The documents sent with a case to another body: a PDF and a ZIP of it plus every file."""

    __tablename__ = "transfer_packages"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    instance_id: Mapped[Optional[int]] = mapped_column(ForeignKey("workflow_instances.id"))
    kind: Mapped[str] = mapped_column(String(20))  # criminal (移送公安)
    recipient: Mapped[Optional[str]] = mapped_column(String(200))
    # Paths relative to settings.upload_dir and the SHA-256 of each stored file.
    pdf_path: Mapped[str] = mapped_column(String(400))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    zip_path: Mapped[str] = mapped_column(String(400))
    zip_sha256: Mapped[str] = mapped_column(String(64))
    # [{"name", "sha256", "size", "kind"}] of every file in the ZIP.
    manifest: Mapped[list] = mapped_column(JSONDoc, default=list)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
