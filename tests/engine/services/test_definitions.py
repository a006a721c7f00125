"""Deployed definitions are versioned; running cases stay on the version they started with."""
import pytest
from sqlalchemy import select

from engine.errors import WorkflowDefinitionError
from engine.models import WorkflowDefinition
from engine.services import definitions
from engine.services.demo import drive

from .helpers import open_case


def _deploy(ctx, xml: bytes, filename="enforcement.bpmn"):
    with ctx.uow() as uow:
        done = definitions.deploy(uow.session, ctx.forms, xml, "enforcement", filename, ctx.clock.now())
        uow.commit()
    return done


def test_a_changed_file_is_a_new_version_and_running_cases_keep_theirs(ctx):
    original = (ctx.settings.workflows_dir / "enforcement.bpmn").read_bytes()
    old_case = open_case(ctx)["number"]
    assert _deploy(ctx, original).created is False  # unchanged: no new version
    renamed = original.replace('name="核查"'.encode(), 'name="核查（新版）"'.encode())
    deployed = _deploy(ctx, renamed)
    assert (deployed.version, deployed.created) == (2, True)

    new_case = open_case(ctx)["number"]
    drive(ctx, old_case, {}, until="decide_filing")
    drive(ctx, new_case, {}, until="decide_filing")
    from engine.services import cases
    old_names = {e["task"] for e in cases.show_case(ctx, old_case)["timeline"] if e["task"]}
    new_names = {e["task"] for e in cases.show_case(ctx, new_case)["timeline"] if e["task"]}
    assert "核查" in old_names and "核查（新版）" in new_names
    assert [i["version"] for i in cases.show_case(ctx, old_case)["instances"]] == [1]
    assert [i["version"] for i in cases.show_case(ctx, new_case)["instances"]] == [2]


@pytest.mark.parametrize("mutate, reason", [
    (lambda x: x[:200], "not well-formed"),
    (lambda x: x.replace(b'value="verification"', b'value="no_such_form"'), "no_such_form"),
    (lambda x: x.replace(b'name="legal_reviewer"', b'name="janitor"'), "janitor"),
])
def test_a_broken_file_is_refused_and_the_old_version_keeps_running(ctx, mutate, reason):
    original = (ctx.settings.workflows_dir / "enforcement.bpmn").read_bytes()
    with pytest.raises(WorkflowDefinitionError, match=reason):
        _deploy(ctx, mutate(original))
    with ctx.uow() as uow:
        assert list(uow.session.scalars(select(WorkflowDefinition.version)
                                        .where(WorkflowDefinition.process_id == "enforcement"))) == [1]
    assert drive(ctx, open_case(ctx)["number"], {})["status"] == "closed"
