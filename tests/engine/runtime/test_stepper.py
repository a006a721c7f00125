"""The SpiffWorkflow adapter: long loops, persistence round trips, restricted scripts."""
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from engine.errors import Conflict, WorkflowDefinitionError
from engine.runtime.script_engine import OperatorScriptEngine
from engine.runtime.specs import human_steps, parse
from engine.runtime.stepper import WorkflowFailed, WorkflowRun

LOOP_XML = (Path(__file__).parent / "data" / "loop.bpmn").read_bytes()


@pytest.fixture
def specs():
    return parse(LOOP_XML, "loop")


def counting_engine(calls: list):
    def count_round(task, step):
        calls.append(step)
        return len(calls)
    return OperatorScriptEngine({"count_round": count_round})


def go_round(run: WorkflowRun, again: bool, **extra) -> None:
    [ready] = run.ready_human_tasks()
    run.complete(ready.spiff_id, {"work": {"again": again, **extra}})


def test_a_thousand_rounds_through_save_and_load_stay_correct_and_small(specs):
    calls = []
    engine = counting_engine(calls)
    run = WorkflowRun.start(specs, {"case": {"number": "C-1"}}, engine)
    sizes = []
    for i in range(1000):
        run = WorkflowRun.load(run.dump(), specs, engine)
        assert not run.is_completed()
        go_round(run, True, i=i)
        sizes.append(len(run.dump()))
    [ready] = run.ready_human_tasks()
    assert ready.data["work"]["i"] == 999 and ready.data["rounds"] == 1000
    assert ready.data["case"] == {"number": "C-1"}
    go_round(run, False)
    assert run.is_completed() and run.outcome() == "done"
    assert len(calls) == 1001
    # The tree is rewound, so the state does not grow with the number of rounds.
    assert max(sizes[-100:]) <= 1.2 * max(sizes[:100])
    assert run.max_depth() < 100


def test_without_rewinding_spiffworkflow_would_grow_without_bound(specs):
    run = WorkflowRun.start(specs, {}, counting_engine([]), rewind_depth=10**6)
    for _ in range(50):
        go_round(run, True)
    assert run.max_depth() > 100  # the behaviour the rewind protects against


def test_a_completed_task_cannot_be_completed_again(specs):
    run = WorkflowRun.start(specs, {}, counting_engine([]))
    [ready] = run.ready_human_tasks()
    run.complete(ready.spiff_id, {"work": {"again": False}})
    with pytest.raises(Conflict):
        run.complete(ready.spiff_id, {"work": {"again": False}})


def test_decimal_and_date_survive_serialisation(specs):
    engine = counting_engine([])
    run = WorkflowRun.start(specs, {"case": {"fine": Decimal("1234.50"), "on": date(2026, 10, 8)}}, engine)
    [ready] = WorkflowRun.load(run.dump(), specs, engine).ready_human_tasks()
    assert ready.data["case"] == {"fine": Decimal("1234.50"), "on": date(2026, 10, 8)}


def test_saved_state_leaves_the_spec_out_and_loads_against_the_deployed_one(specs):
    engine = counting_engine([])
    run = WorkflowRun.start(specs, {}, engine)
    state = json.loads(run.dump())
    assert "spec" not in state and "subprocess_specs" not in state
    loaded = WorkflowRun.load(run.dump(), specs, engine)
    assert loaded.workflow.spec is specs.spec
    go_round(loaded, again=False)
    assert loaded.is_completed()


def test_unknown_operator_fails_the_step(specs):
    run = WorkflowRun.start(specs, {}, OperatorScriptEngine({}))
    [ready] = run.ready_human_tasks()
    with pytest.raises(WorkflowFailed, match="count_round"):
        run.complete(ready.spiff_id, {"work": {"again": False}})


def test_conditions_cannot_import_modules():
    engine = OperatorScriptEngine()
    with pytest.raises(Exception, match="__import__"):
        engine.environment.evaluate("__import__('os').getpid()", {})
    assert engine.environment.evaluate("len(x) + max(1, 2)", {"x": [1, 2]}) == 4


def test_human_steps_carry_role_and_form(specs):
    [step] = human_steps(specs)
    assert (step.bpmn_id, step.role, step.form_id) == ("work", "officer", "work")


@pytest.mark.parametrize("xml, message", [
    (b"<not-xml", "not well-formed"),
    (LOOP_XML.replace(b'targetRef="count"', b'targetRef="nowhere"'), "invalid"),
    (LOOP_XML.replace(b'<bpmn:endEvent id="done"', b'<bpmn:endEvent bogus="1" id="done"'), "invalid"),
])
def test_broken_diagrams_are_refused_with_a_reason(xml, message):
    with pytest.raises(WorkflowDefinitionError, match=message):
        parse(xml, "loop")
