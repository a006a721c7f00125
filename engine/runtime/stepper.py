"""Drive one workflow instance: start, complete a human task, run engine steps.

Long loops: SpiffWorkflow keeps every executed task in one tree and its iterators stop
at depth 1000 (see shared/design/spiffworkflow-notes.md §6), so an instance that goes
round the supplementary-investigation loop ~300 times would silently report itself
completed. When a ready task sits deeper than `rewind_depth`, we rewind the tree to the
first run of that task and carry its data over; the history of earlier rounds lives in
our own task rows and audit log, so nothing a user sees is lost, and each step keeps
costing about the same however long the case runs.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.exceptions import TaskNotFoundException, WorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.errors import Conflict, DomainError
from engine.runtime import serializer
from engine.runtime.specs import HumanStep, ProcessSpecs, step_of

TIMER_EVENTS = {"DurationTimerEventDefinition", "TimeDateEventDefinition", "CycleTimerEventDefinition"}


class WorkflowFailed(DomainError):
    """The diagram could not proceed (a condition failed, an operator raised)."""

    code = "workflow_failed"


@dataclass(frozen=True)
class Message:
    """A BPMN message thrown by an instance, for the engine to deliver (see services/messages.py)."""

    name: str
    payload: object


@dataclass(frozen=True)
class ReadyTask:
    spiff_id: str
    step: HumanStep
    data: dict


class WorkflowRun:
    """A loaded BpmnWorkflow plus the few operations the engine needs of it."""

    def __init__(self, workflow: BpmnWorkflow, rewind_depth: int = 40):
        self.workflow = workflow
        self.rewind_depth = rewind_depth
        self.rewinds = 0
        self.completed_steps: list[str] = []  # bpmn ids of the human tasks completed in this run
        # Spiff ids of the human tasks this run completed, and of those READY when it was loaded:
        # the engine keeps one open row per READY human task, so these say which rows are open
        # without asking the database.
        self.completed_ids: set[str] = set()
        self.ready_at_load: set[str] = set()
        self.is_new = False  # started by this run, never saved
        self._ready: list | None = None  # READY human tasks as the last advance left them

    @classmethod
    def start(cls, specs: ProcessSpecs, data: dict, script_engine, rewind_depth: int = 40) -> "WorkflowRun":
        wf = BpmnWorkflow(specs.spec, specs.subprocess_specs, script_engine=script_engine)
        start = wf.get_next_task(state=TaskState.READY)
        start.set_data(**data)
        run = cls(wf, rewind_depth)
        run.is_new = True
        run.advance()
        return run

    @classmethod
    def load(cls, state: str, specs: ProcessSpecs, script_engine, rewind_depth: int = 40) -> "WorkflowRun":
        return cls.resume(serializer.load(state, specs, script_engine), script_engine, rewind_depth)

    @classmethod
    def resume(cls, workflow: BpmnWorkflow, script_engine, rewind_depth: int = 40,
               ready: frozenset[str] | None = None) -> "WorkflowRun":
        """Go on with a workflow as it was saved (loaded, or kept in memory since). `ready` are
        its READY human tasks' ids if known (a kept workflow's, noted when it was saved)."""
        workflow.script_engine = script_engine
        run = cls(workflow, rewind_depth)
        run.ready_at_load = set(ready) if ready is not None else {
            str(t.id) for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
        return run

    def dump(self) -> str:
        return serializer.dump(self.workflow)

    def open_at_load(self) -> set[str]:
        """Spiff ids of the human tasks that were open when loaded and not completed by this run."""
        return self.ready_at_load - self.completed_ids

    def ready_human_tasks(self) -> list[ReadyTask]:
        tasks = self._ready if self._ready is not None else self._ready_tasks()
        return [ReadyTask(str(t.id), step_of(t.task_spec), t.data) for t in tasks]

    def _ready_tasks(self) -> list:
        return self.workflow.get_tasks(state=TaskState.READY, manual=True)

    def complete(self, spiff_id: str, data: dict) -> None:
        """Complete one READY human task with `data` merged into its task data, then advance."""
        try:
            task = self.workflow.get_task_from_id(UUID(spiff_id))
        except (TaskNotFoundException, ValueError):
            raise Conflict("This task is no longer part of the workflow.") from None
        if task.state != TaskState.READY or not task.task_spec.manual:
            raise Conflict("This task is not waiting for input.")
        task.set_data(**data)
        try:
            task.run()
        except WorkflowException as err:
            raise WorkflowFailed("The workflow could not continue: {detail}", detail=str(err)) from err
        self.completed_steps.append(task.task_spec.name)
        self.completed_ids.add(str(task.id))
        self.advance()

    def advance(self) -> None:
        self._ready = None
        try:
            self.workflow.refresh_timers()
            self.workflow.do_engine_steps()
            while self._rewind_deep_task():
                self.workflow.do_engine_steps()
        except WorkflowException as err:
            raise WorkflowFailed("The workflow could not continue: {detail}", detail=str(err)) from err

    def _rewind_deep_task(self) -> bool:
        """Rewind one ready task that sits deep and has run before; True if it did. If not, the
        ready tasks it looked at are the step's (walking the task tree again costs as much)."""
        self._ready = ready = self._ready_tasks()
        for task in ready:
            if task.depth <= self.rewind_depth:
                continue
            first = min((t for t in task.workflow.tasks.values() if t.task_spec is task.task_spec),
                        key=lambda t: t.depth)
            if first is task:
                continue  # a long path, not a loop: nothing to rewind to
            saved = dict(task.data)
            self.workflow.reset_from_task_id(first.id)
            first.set_data(**saved)
            self.rewinds += 1
            return True
        return False

    def is_completed(self) -> bool:
        return self.workflow.is_completed()

    # --- messages between instances (the engine is the bus) ---------------------------------

    def drain_messages(self) -> list[Message]:
        """The messages thrown since the last call (the outbox is emptied)."""
        return [Message(e.event_definition.name, e.payload) for e in self.workflow.get_events()
                if isinstance(e.event_definition, MessageEventDefinition)]

    def waits_for(self, name: str) -> bool:
        """True if a catch event (intermediate, receive, or a not yet started message start) waits for `name`."""
        return any(e.event_type == "MessageEventDefinition" and e.name == name
                   for e in self.workflow.waiting_events())

    def deliver(self, name: str, payload: object) -> None:
        """Hand a message to the catch event waiting for it, then advance."""
        try:
            self.workflow.send_event(BpmnEvent(MessageEventDefinition(name), payload=payload))
        except WorkflowException as err:
            raise WorkflowFailed("The workflow could not take the message {name}: {detail}",
                                 name=name, detail=str(err)) from err
        self.advance()

    def outcome(self) -> str | None:
        """The id of the end event the top-level process finished at."""
        if not self.is_completed():
            return None
        ends = [t for t in self.workflow.get_tasks(state=TaskState.COMPLETED)
                if isinstance(t.task_spec, EndEvent) and t.workflow is self.workflow]
        return max(ends, key=lambda t: t.last_state_change).task_spec.name if ends else None

    def data(self) -> dict:
        return dict(self.workflow.data)

    def next_timer_due(self) -> datetime | None:
        return min((TimerEventDefinition.get_datetime(e.value) for e in self.workflow.waiting_events()
                    if e.event_type in TIMER_EVENTS), default=None)

    def max_depth(self) -> int:
        return max((t.depth for t in self.workflow.tasks.values()), default=0)

