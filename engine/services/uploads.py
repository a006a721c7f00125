"""Evidence uploads from users: size limit, type by content (not by name), scoped downloads.

Storage itself is engine/services/evidence.py (content-addressed under settings.upload_dir).
"""
from __future__ import annotations

from pathlib import Path

import filetype
from sqlalchemy import select

from engine.context import Context
from engine.errors import Invalid, NotFound
from engine.models import Case, EvidenceFile, User
from engine.services import cases, evidence, lookups

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
# What a case file may hold: documents, pictures, sound and video recordings, archives of them.
ALLOWED_EXTENSIONS = {
    "pdf", "rtf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp",
    "jpg", "png", "gif", "webp", "tif", "bmp", "heic", "avif",
    "mp3", "m4a", "aac", "wav", "amr", "ogg", "flac", "mp4", "m4v", "mov", "avi", "wmv", "mpg", "webm", "3gp",
    "zip", "7z", "rar",
}
TEXT_SAMPLE = 8192


def sniff(content: bytes) -> str | None:
    """The media type the content really has, or None when it is not an allowed kind."""
    kind = filetype.guess(content[:TEXT_SAMPLE * 32])
    if kind is not None:
        return kind.mime if kind.extension in ALLOWED_EXTENSIONS else None
    return "text/plain" if _is_text(content) else None


def _is_text(content: bytes) -> bool:
    sample = content[:TEXT_SAMPLE]
    if not sample or b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as err:
        # A multi-byte character cut by the sample's end is fine.
        return err.start >= len(sample) - 3
    return True


def check(filename: str, content: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Refuse empty, oversized or disallowed files; returns the sniffed media type."""
    if not content:
        raise Invalid("The file {filename} is empty.", errors={"file": ["empty"]}, filename=filename)
    if len(content) > max_bytes:
        raise Invalid("The file {filename} is larger than the limit of {limit} MB.", errors={"file": ["too large"]},
                      filename=filename, limit=round(max_bytes / 1024 / 1024, 1))
    media_type = sniff(content)
    if media_type is None:
        raise Invalid("The file {filename} is not an allowed type (documents, pictures, audio, video, archives).",
                      errors={"file": ["type not allowed"]}, filename=filename)
    return media_type


def upload(ctx: Context, *, username: str, number: str, files: list[tuple[str, bytes]],
           max_bytes: int = DEFAULT_MAX_BYTES, description: str | None = None) -> list[dict]:
    """Add files to a case in one transaction (all or none); returns their views."""
    if not files:
        raise Invalid("Choose a file to upload.", errors={"file": ["required"]})
    checked = [(name, content, check(name, content, max_bytes)) for name, content in files]
    with ctx.uow() as uow:
        s = uow.session
        user = lookups.user(s, username)
        case = lookups.case(s, number)
        cases.ensure_visible(ctx, s, user, case)
        out = []
        for name, content, media_type in checked:
            row = evidence.store(ctx.settings, s, case, filename=name, content=content, description=description,
                                 actor=user, now=ctx.clock.now())
            row.media_type = media_type
            out.append(file_view(row, user))
        uow.commit()
    return out


def file_view(row: EvidenceFile, uploader: User | None) -> dict:
    return {**evidence.file_view(row), "uploaded_by": uploader.username if uploader else None,
            "uploaded_by_name": uploader.full_name if uploader else None, "description": row.description}


def files_of(ctx: Context, session, case: Case) -> list[dict]:
    rows = evidence.files_of(session, case)
    people = {u.id: u for u in session.scalars(select(User).where(User.id.in_({r.uploaded_by_id for r in rows})))}
    return [file_view(r, people.get(r.uploaded_by_id)) for r in rows]


def download(ctx: Context, *, username: str, file_id: int) -> dict:
    """Where a file is and what to call it, for a user who may see its case (else NotFound, audited)."""
    with ctx.uow() as uow:
        s = uow.session
        user = lookups.user(s, username)
        row = s.get(EvidenceFile, file_id)
        if row is None:
            raise NotFound("No file {file_id}.", file_id=file_id)
        try:
            cases.ensure_visible(ctx, s, user, s.get(Case, row.case_id))
        except NotFound:
            raise NotFound("No file {file_id}.", file_id=file_id) from None
        path = Path(ctx.settings.upload_dir) / row.path
        if not path.is_file():
            raise NotFound("No file {file_id}.", file_id=file_id)
        return {"path": path, "filename": row.filename, "media_type": row.media_type, "size": row.size,
                "sha256": row.sha256}
