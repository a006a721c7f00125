"""Deploy BPMN files as versioned definitions and load their parsed specs."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import NotFound, WorkflowDefinitionError
from engine.forms.definitions import FormRegistry
from engine.models import Role, User, WorkflowDefinition
from engine.runtime.specs import ProcessSpecs, content_hash, human_steps, parse, specs_for
from engine.services import audit

ROLE_CODES = {r.value for r in Role}


@dataclass(frozen=True)
class Deployment:
    process_id: str
    version: int
    created: bool  # False: the file was unchanged


def check_definition(specs: ProcessSpecs, forms: FormRegistry) -> None:
    """Every human step needs a known role and an existing form."""
    for step in human_steps(specs):
        if step.role not in ROLE_CODES:
            raise WorkflowDefinitionError("task {task} has no known role (lane or 'role' property): {role}",
                                          task=step.bpmn_id, role=step.role)
        if not step.form_id or step.form_id not in forms:
            raise WorkflowDefinitionError("task {task} names no existing form: {form}",
                                          task=step.bpmn_id, form=step.form_id)


def deploy(session: Session, forms: FormRegistry, xml: bytes, process_id: str, filename: str,
           at, actor: User | None = None) -> Deployment:
    digest = content_hash(xml)
    existing = session.scalar(select(WorkflowDefinition).where(
        WorkflowDefinition.process_id == process_id, WorkflowDefinition.content_hash == digest))
    if existing:
        return Deployment(process_id, existing.version, created=False)
    check_definition(parse(xml, process_id, filename), forms)
    version = (session.scalar(select(func.max(WorkflowDefinition.version))
                              .where(WorkflowDefinition.process_id == process_id)) or 0) + 1
    session.add(WorkflowDefinition(process_id=process_id, version=version, content_hash=digest,
                                   bpmn_xml=xml, filename=filename, deployed_at=at,
                                   deployed_by_id=actor.id if actor else None))
    audit.record(session, at=at, action="workflow.deployed", actor=actor,
                 details={"process_id": process_id, "version": version, "sha256": digest})
    return Deployment(process_id, version, created=True)


def deploy_directory(session: Session, forms: FormRegistry, workflows_dir: Path, at) -> list[Deployment]:
    return [deploy(session, forms, path.read_bytes(), path.stem, path.name, at)
            for path in sorted(workflows_dir.glob("*.bpmn"))]


def latest(session: Session, process_id: str) -> WorkflowDefinition:
    found = session.scalar(select(WorkflowDefinition).where(WorkflowDefinition.process_id == process_id)
                           .order_by(WorkflowDefinition.version.desc()).limit(1))
    if found is None:
        raise NotFound("No workflow {process_id} is deployed; run `ipcase db upgrade`.", process_id=process_id)
    return found


def latest_ids(session: Session) -> dict[str, int]:
    """The latest version's definition id of every deployed process, in one query (no XML read)."""
    newest: dict[str, tuple[int, int]] = {}
    for id_, process_id, version in session.execute(
            select(WorkflowDefinition.id, WorkflowDefinition.process_id, WorkflowDefinition.version)):
        if process_id not in newest or version > newest[process_id][0]:
            newest[process_id] = (version, id_)
    return {process_id: id_ for process_id, (_, id_) in newest.items()}


# Definition rows never change once deployed: id -> (process id, content hash), per process.
_IDENTITY: dict[int, tuple[str, str]] = {}


def specs_of(definition: WorkflowDefinition) -> ProcessSpecs:
    return specs_for(definition.process_id, definition.content_hash, lambda: bytes(definition.bpmn_xml))


def _identity(session: Session, definition_id: int) -> tuple[str, str]:
    if definition_id not in _IDENTITY:
        row = session.execute(select(WorkflowDefinition.process_id, WorkflowDefinition.content_hash)
                              .where(WorkflowDefinition.id == definition_id)).one()
        _IDENTITY[definition_id] = (row.process_id, row.content_hash)
    return _IDENTITY[definition_id]


def process_id_of(session: Session, definition_id: int) -> str:
    """The process a definition version belongs to, without a query once known."""
    return _identity(session, definition_id)[0]


def specs_by_id(session: Session, definition_id: int) -> ProcessSpecs:
    """Specs of a definition without loading its row on the hot path."""
    process_id, digest = _identity(session, definition_id)
    return specs_for(process_id, digest, lambda: bytes(session.get(WorkflowDefinition, definition_id).bpmn_xml))


def list_versions(ctx) -> list[dict]:
    """Every deployed version of every process, newest first, with how many instances run on it."""
    from sqlalchemy import case as sql_case

    from engine.models import WorkflowInstance

    with ctx.uow() as uow:
        s = uow.session
        running = func.sum(sql_case((WorkflowInstance.status == "running", 1), else_=0))
        counts = {row[0]: (row[1], row[2] or 0) for row in s.execute(
            select(WorkflowInstance.definition_id, func.count(), running).group_by(WorkflowInstance.definition_id))}
        rows = s.scalars(select(WorkflowDefinition).order_by(WorkflowDefinition.process_id,
                                                             WorkflowDefinition.version.desc())).all()
        return [{"process_id": d.process_id, "version": d.version, "filename": d.filename,
                 "sha256": d.content_hash, "deployed_at": d.deployed_at.isoformat(),
                 "instances": counts.get(d.id, (0, 0))[0], "running": counts.get(d.id, (0, 0))[1]}
                for d in rows]


def upload(ctx, *, actor: str, process_id: str, filename: str, xml: bytes) -> Deployment:
    """An administrator deploys a new version; a broken file raises and changes nothing."""
    from engine.services import access, lookups

    if not process_id or not process_id.replace("_", "").isalnum():
        raise WorkflowDefinitionError("Give the process id the file defines, e.g. enforcement.")
    if not xml:
        raise WorkflowDefinitionError("The BPMN file is empty.")
    with ctx.uow() as uow:
        s = uow.session
        user = lookups.user(s, actor)
        access.ensure_admin(user)
        done = deploy(s, ctx.forms, xml, process_id, filename or f"{process_id}.bpmn", ctx.clock.now(), user)
        uow.commit()
    return done


def version_xml(ctx, *, actor: str, process_id: str, version: int) -> bytes:
    """The BPMN XML of one deployed version (administrators)."""
    from engine.services import access, lookups

    with ctx.uow() as uow:
        s = uow.session
        access.ensure_admin(lookups.user(s, actor))
        found = s.scalar(select(WorkflowDefinition).where(WorkflowDefinition.process_id == process_id,
                                                          WorkflowDefinition.version == version))
        if found is None:
            raise NotFound("No version {version} of workflow {process_id}.", version=version, process_id=process_id)
        return bytes(found.bpmn_xml)
