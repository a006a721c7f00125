"""Evidence files of a case: stored under settings.upload_dir, content-addressed by SHA-256."""
from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import Invalid
from engine.models import Case, EvidenceFile, User
from engine.services import audit, lookups

KINDS = ("evidence", "inspection_report", "appraisal_report", "other")
MAX_NAME = 255


def store(settings, session: Session, case: Case, *, filename: str, content: bytes, kind: str = "evidence",
          description: str | None = None, actor: User | None = None, now) -> EvidenceFile:
    """Write the file (once per content) and record it for the case, in the caller's transaction."""
    if kind not in KINDS:
        raise Invalid("Unknown evidence kind {kind}; choose one of {choices}.", errors={"kind": ["unknown"]},
                      kind=kind, choices=", ".join(KINDS))
    name = Path(filename).name
    if not name or len(name) > MAX_NAME:
        raise Invalid("A file name of 1 to 255 characters is required.", errors={"filename": ["invalid"]})
    digest = hashlib.sha256(content).hexdigest()
    relative = Path("evidence") / str(case.id) / digest
    target = settings.upload_dir / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        partial.write_bytes(content)
        partial.replace(target)
    row = EvidenceFile(case_id=case.id, kind=kind, filename=name,
                       media_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
                       size=len(content), sha256=digest, path=str(relative), description=description,
                       uploaded_by_id=actor.id if actor else None, uploaded_at=now)
    session.add(row)
    session.flush()
    audit.record(session, at=now, action="evidence.added", actor=actor, case=case,
                 after={"id": row.id, "filename": name, "kind": kind, "sha256": digest, "size": len(content)})
    return row


def add_file(ctx: Context, *, username: str, number: str, filename: str, content: bytes,
             kind: str = "evidence", description: str | None = None) -> dict:
    """An officer of the case's unit adds a file to the case."""
    from engine.services import cases

    with ctx.uow() as uow:
        s = uow.session
        user = lookups.user(s, username)
        case = lookups.case(s, number)
        cases.ensure_visible(ctx, s, user, case)
        row = store(ctx.settings, s, case, filename=filename, content=content, kind=kind,
                    description=description, actor=user, now=ctx.clock.now())
        view = file_view(row)
        uow.commit()
    return view


def files_of(session: Session, case: Case) -> list[EvidenceFile]:
    return list(session.scalars(select(EvidenceFile).where(EvidenceFile.case_id == case.id)
                                .order_by(EvidenceFile.id)))


def file_view(row: EvidenceFile) -> dict:
    return {"id": row.id, "kind": row.kind, "filename": row.filename, "media_type": row.media_type,
            "size": row.size, "sha256": row.sha256, "uploaded_at": row.uploaded_at.isoformat()}
