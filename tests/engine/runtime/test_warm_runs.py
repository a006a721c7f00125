"""The warm-workflow cache: which open task rows lead to a kept workflow, and when they stop to."""
from SpiffWorkflow.bpmn import BpmnWorkflow

from engine.runtime.warm_runs import WarmRuns


class _Workflow:  # the cache only stores it and clears its script engine
    script_engine = None


def kept(runs: WarmRuns, instance_id: int, version: int, opened: dict[int, str], still_open: set[str]) -> None:
    runs.keep(instance_id, version, _Workflow(), opened, still_open)  # type: ignore[arg-type]


def test_a_task_row_leads_to_its_kept_workflow_while_it_is_open():
    runs = WarmRuns()
    kept(runs, 1, 2, {10: "a", 11: "b"}, {"a", "b"})  # a parallel split opened two rows
    assert runs.likely_holds(10) and runs.likely_holds(11) and not runs.likely_holds(12)
    assert runs.take(1, 2).ready == {"a", "b"}  # the step on it need not walk the workflow for them
    assert not runs.likely_holds(11)  # taken by a step: until that step commits, nothing is kept
    kept(runs, 1, 3, {12: "c"}, {"b", "c"})  # "a" was completed, "c" opened
    assert [runs.likely_holds(row) for row in (10, 11, 12)] == [False, True, True]
    assert runs.take(1, 2) is None  # a version that is no longer the instance's is never handed out


def test_evicted_workflows_take_their_rows_along():
    runs = WarmRuns(capacity=2)
    for instance_id in (1, 2, 3):
        kept(runs, instance_id, 2, {instance_id * 10: "a"}, {"a"})
    assert len(runs) == 2
    assert [runs.likely_holds(row) for row in (10, 20, 30)] == [False, True, True]


def test_a_process_that_keeps_nothing_knows_no_rows():
    runs = WarmRuns(capacity=0)
    runs.keep(1, 2, BpmnWorkflow.__new__(BpmnWorkflow), {10: "a"}, {"a"})
    assert not runs.likely_holds(10) and len(runs) == 0
