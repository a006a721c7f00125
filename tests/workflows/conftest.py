"""Drive the BPMN diagrams of workflows/ in memory: no database, no web.

Each pipeline's tests parse its diagram with the runtime's own parser, start it with the
restricted script engine and fake operators, and answer its user tasks the way the
engine does (`task.set_data(**{form_id: data})`). Answers are merged over a minimal valid
sample of the task's form and validated with the form's schema, so a test only states
the fields that matter and never feeds the diagram data a user could not submit.

Import the helpers with `from tests.workflows.conftest import drive, start, ...` (pytest
registers this conftest under that name, so it is loaded once), or use the fixtures.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Mapping

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.util.task import TaskState

from engine.forms.definitions import FormRegistry
from engine.forms.samples import sample_submission
from engine.forms.validation import validate_submission
from engine.runtime.script_engine import OperatorScriptEngine
from engine.runtime.specs import ProcessSpecs, parse

WORKFLOWS_DIR = Path(__file__).resolve().parents[2] / "workflows"
FORMS_DIR = WORKFLOWS_DIR / "forms"

Answer = Mapping | list  # one answer for every visit, or one per visit in order


def bpmn_path(process_id: str) -> Path:
    return WORKFLOWS_DIR / f"{process_id}.bpmn"


def load_specs(process_id: str) -> ProcessSpecs:
    """The parsed (XSD-validated) diagram `workflows/<process_id>.bpmn`."""
    return parse(bpmn_path(process_id).read_bytes(), process_id, bpmn_path(process_id).name)


def load_forms() -> FormRegistry:
    return FormRegistry.load(FORMS_DIR)


def start(specs: ProcessSpecs, operators: Mapping[str, Callable] | None = None,
          case: Mapping | None = None) -> BpmnWorkflow:
    """A started instance: `case` is the initial data, as the engine gives it."""
    wf = BpmnWorkflow(specs.spec, specs.subprocess_specs, script_engine=OperatorScriptEngine(operators))
    wf.get_next_task(state=TaskState.READY).set_data(case=dict(case or {}))
    wf.do_engine_steps()
    return wf


def ready_user_tasks(wf: BpmnWorkflow) -> list:
    return wf.get_tasks(state=TaskState.READY, manual=True)


def form_of(task) -> str:
    return task.task_spec.extensions["properties"]["form"]


def complete(wf: BpmnWorkflow, task, data: Mapping) -> None:
    """Submit `data` as the task's form, as the engine does, and run on."""
    task.set_data(**{form_of(task): dict(data)})
    task.run()
    wf.do_engine_steps()


def submission(forms: FormRegistry, form_id: str, answer: Mapping | None) -> dict:
    """`answer` over a minimal valid sample of the form, validated and typed."""
    form = forms.get(form_id)
    return validate_submission(form, sample_submission(form, dict(answer or {}), required_only=True)).typed


def drive(wf: BpmnWorkflow, answers: Mapping[str, Answer], forms: FormRegistry | None = None,
          stop_at: Iterable[str] = (), strict: bool = False, max_steps: int = 500) -> list[str]:
    """Complete ready user tasks until none is left (or one in `stop_at` is ready).

    `answers` maps a task id to its form data, or to a list consumed one item per visit
    (the last item is reused once the list runs out unless `strict`). Tasks without an
    answer get the form's sample data (first option of every select) unless `strict`.
    Returns the ids of the user tasks completed, in order.
    """
    forms = forms or load_forms()
    stop_at = set(stop_at)
    pending = {k: list(v) if isinstance(v, list) else v for k, v in answers.items()}
    visited: list[str] = []
    for _ in range(max_steps):
        ready = ready_user_tasks(wf)
        if not ready or any(t.task_spec.name in stop_at for t in ready):
            return visited
        task = ready[0]
        step = task.task_spec.name
        answer = pending.get(step)
        if isinstance(answer, list):
            if not answer:
                raise AssertionError(f"no answer left for visit {visited.count(step) + 1} of {step}")
            answer = answer.pop(0) if (len(answer) > 1 or strict) else answer[0]
        elif answer is None and strict:
            raise AssertionError(f"no answer for {step} (visited so far: {visited})")
        complete(wf, task, submission(forms, form_of(task), answer))
        visited.append(step)
    raise AssertionError(f"still running after {max_steps} steps: {visited[-20:]}")


def outcome(wf: BpmnWorkflow) -> str | None:
    """The id of the end event the top-level process finished at (None while running)."""
    if not wf.is_completed():
        return None
    ends = [t for t in wf.get_tasks(state=TaskState.COMPLETED)
            if isinstance(t.task_spec, EndEvent) and t.workflow is wf]
    return max(ends, key=lambda t: t.last_state_change).task_spec.name if ends else None


class RecordingOperator:
    """A fake engine operator: records its calls and returns `result(n)` for the n-th call."""

    def __init__(self, result: Callable[[int], object] = lambda n: f"FAKE-{n}"):
        self.calls: list[dict] = []
        self._result = result

    def __call__(self, task, **params):
        self.calls.append({"task": task.task_spec.name, **params})
        return self._result(len(self.calls))


@pytest.fixture(scope="session")
def workflow_forms() -> FormRegistry:
    return load_forms()


@pytest.fixture
def drive_workflow(workflow_forms) -> Callable[..., list[str]]:
    """`drive` bound to the forms of workflows/forms."""
    def _drive(wf, answers, **kwargs):
        return drive(wf, answers, forms=workflow_forms, **kwargs)
    return _drive
