"""Transfers: evidence files kept per case and the transfer packages built from them.

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-25 07:00:00

Additive only: two new tables, nothing existing changes.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import engine.models.base

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "evidence_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=400), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", engine.models.base.TZDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_evidence_files_case_id_cases")),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"], name=op.f("fk_evidence_files_uploaded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_files")),
    )
    op.create_index(op.f("ix_evidence_files_case_id"), "evidence_files", ["case_id"], unique=False)
    op.create_table(
        "transfer_packages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=True),
        sa.Column("pdf_path", sa.String(length=400), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("zip_path", sa.String(length=400), nullable=False),
        sa.Column("zip_sha256", sa.String(length=64), nullable=False),
        sa.Column("manifest", JSON_DOC, nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", engine.models.base.TZDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_transfer_packages_case_id_cases")),
        sa.ForeignKeyConstraint(["instance_id"], ["workflow_instances.id"],
                                name=op.f("fk_transfer_packages_instance_id_workflow_instances")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_transfer_packages_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_packages")),
    )
    op.create_index(op.f("ix_transfer_packages_case_id"), "transfer_packages", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_transfer_packages_case_id"), table_name="transfer_packages")
    op.drop_table("transfer_packages")
    op.drop_index(op.f("ix_evidence_files_case_id"), table_name="evidence_files")
    op.drop_table("evidence_files")
