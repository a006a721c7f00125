"""Instance state to and from JSON, without the process spec.

SpiffWorkflow embeds the whole spec in every serialized instance (more than half of
its size). We store the spec once per deployed definition and restore instances
against the cached spec objects.

A workflow kept in memory between steps (engine/runtime/warm_runs.py) is dumped after each
of them, and most of its tasks finished steps ago: each finished task is converted once
and its dict reused while nothing the dict shows has changed (`FinishedTaskConverter`).
"""
from __future__ import annotations

import json
import threading
import weakref
from datetime import date
from decimal import Decimal
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter, WorkflowConverter
from SpiffWorkflow.spiff.serializer import DEFAULT_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.runtime.specs import ProcessSpecs


class SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Leaves the spec out on save; expects the caller to hand spec objects back on load."""

    def to_dict(self, workflow):
        # BpmnWorkflowConverter.to_dict minus the spec: converting it only to drop it
        # was a sixth of every dump.
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct):
        spec = dct.pop("spec")
        subprocess_specs = dct.pop("subprocess_specs")
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class FinishedTaskConverter(TaskConverter):
    """SpiffWorkflow's task converter, converting a finished task (with a finished parent, or
    none) only once per task object.

    Such a task no longer changes: its data, and its parent's that its dict is a delta of, stay
    as they were. What SpiffWorkflow may still change on it (its state and when it changed,
    its children, whether it was triggered: a reset or a re-prediction) is the key its dict
    is kept under; when the key differs, the task is converted again.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._kept: weakref.WeakKeyDictionary[Task, tuple[tuple, dict]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()  # one converter serves every thread of the process

    def to_dict(self, task):
        parent = task.parent
        if not (task.state & TaskState.FINISHED_MASK and (parent is None or parent.state & TaskState.FINISHED_MASK)):
            return super().to_dict(task)
        key = (task.state, task.last_state_change, task.triggered, tuple(task._children), self.registry._encoder_mode)
        with self._lock:
            kept = self._kept.get(task)
        if kept is not None and kept[0] == key:
            return kept[1]
        dct = super().to_dict(task)
        with self._lock:
            self._kept[task] = (key, dct)
        return dct


def _build_serializer(keep_finished_tasks: bool = True) -> BpmnWorkflowSerializer:
    """`keep_finished_tasks=False`: SpiffWorkflow's own task converter (to check ours against)."""
    config = dict(DEFAULT_CONFIG)
    config[BpmnWorkflow] = SpeclessWorkflowConverter
    if keep_finished_tasks:
        config[Task] = FinishedTaskConverter
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda d: Decimal(d["value"]))
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda d: date.fromisoformat(d["value"]))
    return BpmnWorkflowSerializer(registry)


_SERIALIZER = _build_serializer()


def dump(workflow: BpmnWorkflow) -> str:
    return _SERIALIZER.serialize_json(workflow)


def load(state: str, specs: ProcessSpecs, script_engine) -> BpmnWorkflow:
    dct = json.loads(state, cls=_SERIALIZER.json_decoder_cls)
    _SERIALIZER.migrate(dct)
    dct["spec"] = specs.spec
    dct["subprocess_specs"] = specs.subprocess_specs
    workflow = _SERIALIZER.from_dict(dct)
    workflow.script_engine = script_engine
    return workflow
