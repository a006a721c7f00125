"""Transfers: to public security (移送公安), between jurisdictions (移送管辖/指定管辖), and the
civil part of a case to mediation. workflows/transfer.bpmn models them; this module has
the user actions that start them and the operators its service tasks call.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import Invalid, NotFound
from engine.models import Case, CaseNumber, HumanTask, Role, TransferPackage, User
from engine.services import audit, cases, instances, lookups, messages, packages, views

# Messages a user action posts to the case's bus; transfer.bpmn starts on each.
JURISDICTION_TRANSFER = "jurisdiction_transfer"
CIVIL_REFERRAL = "civil_referral"


def _start(ctx: Context, username: str, number: str, message: str, roles: set[Role]) -> dict:
    with ctx.uow() as uow:
        s = uow.session
        now = ctx.clock.now()
        user = lookups.user(s, username)
        case = lookups.case(s, number)
        cases.ensure_visible(ctx, s, user, case)
        if user.unit_id != case.unit_id or not user.roles & roles:
            raise Invalid("{username} is not an officer of the unit handling case {number}.",
                          errors={"username": ["not an officer of the case's unit"]},
                          username=username, number=case.number)
        if case.closed_at is not None:
            raise Invalid("Case {number} is closed.", errors={"number": ["closed"]}, number=case.number)
        instance = messages.post(ctx, s, case, message, {"requested_by": username}, now, user)
        opened = s.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                   HumanTask.state == "open")).all()
        instances.assign_first_task(list(opened), user, now)
        view = views.case_view(s, case)
        uow.commit()
    return view


def request_jurisdiction_transfer(ctx: Context, *, username: str, number: str) -> dict:
    """An officer of the handling unit starts a jurisdiction transfer; they hold its proposal step."""
    return _start(ctx, username, number, JURISDICTION_TRANSFER, {Role.OFFICER})


def propose_jurisdiction_transfer(ctx: Context, *, username: str, number: str, to_unit: str, reasons: str,
                                  ground: str = "place_of_violation") -> dict:
    """Start a jurisdiction transfer and submit its proposal (the command line's one step)."""
    from engine.services import tasks

    with ctx.uow() as uow:  # refuse a bad unit before anything starts
        target = lookups.unit(uow.session, to_unit)
        if target.id == lookups.case(uow.session, number).unit_id:
            raise Invalid("Case {number} is already handled by {unit}.", errors={"to": ["same unit"]},
                          number=number, unit=to_unit)
    view = request_jurisdiction_transfer(ctx, username=username, number=number)
    [proposal] = [t for t in view["open_tasks"] if t["step"] == "propose_jurisdiction_transfer"
                  and t["assignee"] == username]
    return tasks.complete(ctx, username=username, task_id=proposal["id"],
                          data={"receiving_unit": to_unit, "ground": ground, "reasons": reasons})


def refer_to_mediation(ctx: Context, *, username: str, number: str) -> dict:
    """An officer refers the case's civil compensation dispute to mediation (the penalty track goes on)."""
    return _start(ctx, username, number, CIVIL_REFERRAL, {Role.OFFICER})


def latest_package(ctx: Context, number: str) -> dict:
    """The newest transfer package of a case: its files' paths and hashes."""
    with ctx.uow() as uow:
        s = uow.session
        case = lookups.case(s, number)
        package = s.scalar(select(TransferPackage).where(TransferPackage.case_id == case.id)
                           .order_by(TransferPackage.id.desc()).limit(1))
        if package is None:
            raise NotFound("Case {number} has no transfer package.", number=case.number)
        return package_view(ctx.settings.upload_dir, package)


# A package's two files: its documents as one PDF, and a ZIP of the PDF, every evidence file and a manifest.
PACKAGE_PARTS = {"pdf": ("pdf_path", "pdf_sha256", "application/pdf"),
                 "zip": ("zip_path", "zip_sha256", "application/zip")}


def package_file(ctx: Context, *, username: str, package_id: int, part: str) -> dict:
    """One file of a transfer package (`pdf` or `zip`) for a user who may see its case (else
    NotFound, audited): where it is, what to call it, its SHA-256 as recorded."""
    with ctx.uow() as uow:
        s = uow.session
        user = lookups.user(s, username)
        package = s.get(TransferPackage, package_id)
        if package is None or part not in PACKAGE_PARTS:
            raise NotFound("No transfer package {package_id}.", package_id=package_id)
        case = s.get(Case, package.case_id)
        cases.ensure_visible(ctx, s, user, case)
        path_column, hash_column, media_type = PACKAGE_PARTS[part]
        path = Path(ctx.settings.upload_dir) / getattr(package, path_column)
        if not path.is_file():
            raise NotFound("No transfer package {package_id}.", package_id=package_id)
        return {"path": path, "filename": f"{case.number}-移送材料-{package.id}.{part}", "media_type": media_type,
                "sha256": getattr(package, hash_column)}


def package_view(upload_dir: Path, package: TransferPackage) -> dict:
    return {"id": package.id, "kind": package.kind, "recipient": package.recipient,
            "created_at": views.iso(package.created_at),
            "pdf": str(upload_dir / package.pdf_path), "pdf_sha256": package.pdf_sha256,
            "zip": str(upload_dir / package.zip_path), "zip_sha256": package.zip_sha256,
            "manifest": package.manifest}


# --- operators (service tasks of transfer.bpmn) ------------------------------------------------

def operators(settings, session: Session, case: Case, now: datetime, actor: User | None) -> dict[str, Callable]:
    def build_transfer_package(task, kind: str) -> dict:
        """Render and store the transfer package; the task data names the police body."""
        if settings is None:
            raise RuntimeError("build_transfer_package needs the engine settings (upload_dir)")
        package = packages.build(settings, session, case, kind=kind, instance_id=None, data=dict(task.data),
                                 actor=actor, now=now)
        return {"package_id": package.id, "zip_sha256": package.zip_sha256, "files": len(package.manifest)}

    def record_case_number(task, kind: str, number: str, issued_by: str) -> str:
        """Keep another body's number for the case (e.g. the police's), so search finds it."""
        number = (number or "").strip()
        if not number:
            raise ValueError("an empty number cannot be recorded")
        existing = session.scalar(select(CaseNumber).where(CaseNumber.number == number))
        if existing is not None:
            if existing.case_id != case.id:
                raise ValueError(f"number {number} already belongs to another case")
            return number
        case.numbers.append(CaseNumber(kind=kind, number=number, issued_by=issued_by, issued_at=now))
        audit.record(session, at=now, action="case.number_recorded", actor=actor, case=case,
                     after={"kind": kind, "number": number, "issued_by": issued_by})
        return number

    def check_receiving_unit(task, unit: str) -> str:
        """The proposed receiving unit exists and is not the case's own; returns its name."""
        try:
            target = lookups.unit(session, (unit or "").strip())
        except NotFound:
            raise ValueError(f"no unit with code {unit!r}") from None
        if target.id == case.unit_id:
            raise ValueError(f"the case is already handled by {target.code}")
        return target.name

    def transfer_jurisdiction(task, unit: str) -> str:
        """Hand the case to `unit`: it keeps its number and history; its open tasks move inbox."""
        return move_case(session, case, lookups.unit(session, unit.strip()), now, actor)

    return {"build_transfer_package": build_transfer_package, "record_case_number": record_case_number,
            "check_receiving_unit": check_receiving_unit, "transfer_jurisdiction": transfer_jurisdiction}


def move_case(session: Session, case: Case, target, now: datetime, actor: User | None) -> str:
    """Change the handling unit; open tasks that were the old unit's go, unclaimed, to the new one."""
    old = case.unit
    if target.id == old.id:
        return target.code
    moved = session.execute(update(HumanTask).where(
        HumanTask.case_id == case.id, HumanTask.state == "open", HumanTask.unit_id == old.id)
        .values(unit_id=target.id, assignee_id=None, claimed_at=None)
        .execution_options(synchronize_session="fetch")).rowcount
    case.unit_id, case.unit = target.id, target
    audit.record(session, at=now, action="case.unit_changed", actor=actor, case=case,
                 before={"unit": old.code}, after={"unit": target.code}, details={"tasks_moved": moved})
    return target.code
