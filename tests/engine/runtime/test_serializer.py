"""A workflow's saved state: finished tasks converted once must dump as SpiffWorkflow's own converter would."""
import json
from uuid import uuid4

import pytest
from SpiffWorkflow.util.task import TaskState

from engine.runtime import serializer
from engine.runtime.specs import parse
from engine.runtime.stepper import WorkflowRun
from engine.services import mediation_demo, mediation_roster
from engine.services.demo import run_scenario
from engine.services.demo_cases import SCENARIOS

from .test_stepper import LOOP_XML, counting_engine, go_round

SPIFFS_OWN = serializer._build_serializer(keep_finished_tasks=False)


def spiffs_own_dump(workflow) -> dict:
    return json.loads(SPIFFS_OWN.serialize_json(workflow))


@pytest.fixture
def checked_dumps(monkeypatch):
    """Every dump the engine makes is compared with SpiffWorkflow's own conversion of the workflow."""
    dumped = []
    ours = serializer.dump

    def dump_and_compare(workflow):
        state = ours(workflow)
        assert json.loads(state) == spiffs_own_dump(workflow)
        dumped.append(state)
        return state

    monkeypatch.setattr(serializer, "dump", dump_and_compare)
    return dumped


def test_a_workflow_kept_in_memory_dumps_as_spiffworkflow_would_through_loops_and_rewinds():
    specs = parse(LOOP_XML, "loop")
    run = WorkflowRun.start(specs, {"case": {"number": "C-1"}}, counting_engine([]), rewind_depth=8)
    for i in range(30):
        go_round(run, True, i=i)
        assert json.loads(run.dump()) == spiffs_own_dump(run.workflow), f"round {i}"
    assert run.rewinds > 0  # the tree was reset under finished tasks, and reconverted where it changed
    go_round(run, False)
    assert run.is_completed() and json.loads(run.dump()) == spiffs_own_dump(run.workflow)


def test_every_demo_case_in_every_pipeline_dumps_as_spiffworkflow_would(ctx, clock, checked_dumps):
    for scenario in SCENARIOS:  # enforcement and transfers, to every state the demo shows
        run_scenario(ctx, scenario, opener=f"{scenario.unit}.officer1")
    with ctx.uow() as uow:
        mediation_roster.seed_roster(uow.session, clock.now())
        uow.commit()
    mediation_demo.load(ctx)
    assert len(checked_dumps) > 200


def test_a_finished_task_is_converted_again_when_spiffworkflow_changes_what_its_dict_shows():
    specs = parse(LOOP_XML, "loop")
    run = WorkflowRun.start(specs, {}, counting_engine([]))
    go_round(run, True)
    run.dump()  # the finished tasks' dicts are kept now
    finished = [t for t in run.workflow.tasks.values() if t.parent is not None and t.has_state(TaskState.COMPLETED)
                and t.parent.has_state(TaskState.COMPLETED)]
    task = finished[-1]
    task._children.append(uuid4())  # a re-prediction adds or drops a child
    assert json.loads(run.dump()) == spiffs_own_dump(run.workflow)
    task.triggered = not task.triggered
    assert json.loads(run.dump()) == spiffs_own_dump(run.workflow)
    task.parent._set_state(TaskState.READY)  # a parent not finished may still change the data it passes on
    task.parent.data["late"] = 1
    assert json.loads(run.dump()) == spiffs_own_dump(run.workflow)
