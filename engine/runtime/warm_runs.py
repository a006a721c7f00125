"""Workflows this process saved recently, so the next step of the same instance need not
read and deserialise its state again.

The database stays the only source of truth. A workflow is taken out while a step uses it
and kept again only once that step's transaction has committed, tagged with the instance
version it wrote; a step uses it only if the row it read under lock still has that version
(every write of an instance bumps it, whichever process makes it). Another process, a
rolled-back step or an evicted entry only cost a deserialisation.

Beside each workflow the cache knows which of its instance's open task rows this process
opened: a step on one of them can leave the stored state out of its locking read
(`likely_holds`), and reads it afterwards in the rare case the kept version turned out stale.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import NamedTuple

from SpiffWorkflow.bpmn import BpmnWorkflow


class Kept(NamedTuple):
    workflow: BpmnWorkflow
    ready: frozenset[str] | None  # spiff ids of its READY human tasks when saved (None: unknown)


class WarmRuns:
    def __init__(self, capacity: int = 256):
        self.capacity = capacity
        self._kept: OrderedDict[int, tuple[int, Kept]] = OrderedDict()
        self._open: dict[int, dict[int, str]] = {}  # instance id -> {open task row id: its spiff id}
        self._instance_of: dict[int, int] = {}  # open task row id -> instance id
        self._lock = threading.Lock()

    def likely_holds(self, task_id: int) -> bool:
        """Whether the workflow of the open task row `task_id` is kept (at some version)."""
        with self._lock:
            return self._instance_of.get(task_id) in self._kept

    def take(self, instance_id: int, version: int) -> Kept | None:
        """The kept workflow of the instance if it is the one at `version`; it leaves the cache."""
        with self._lock:
            kept = self._kept.pop(instance_id, None)
        return kept[1] if kept is not None and kept[0] == version else None

    def keep(self, instance_id: int, version: int, workflow: BpmnWorkflow,
             opened: dict[int, str] | None = None, still_open: set[str] | None = None) -> None:
        """Call only after the transaction that wrote `version` committed. `opened` are the
        task rows the step opened (row id: spiff id); of those known before, the ones whose
        spiff ids are in `still_open` (the workflow's READY human tasks) stay known."""
        if self.capacity <= 0:
            return
        workflow.script_engine = None  # it holds the finished step's session; the next step sets its own
        with self._lock:
            known = self._open.pop(instance_id, {})
            rows = {row: spiff for row, spiff in known.items() if still_open is not None and spiff in still_open}
            for row in known.keys() - rows.keys():
                self._instance_of.pop(row, None)
            rows.update(opened or {})
            self._open[instance_id] = rows
            self._instance_of.update((row, instance_id) for row in rows)
            self._kept[instance_id] = (version, Kept(workflow, None if still_open is None else frozenset(still_open)))
            self._kept.move_to_end(instance_id)
            while len(self._kept) > self.capacity:
                evicted, _ = self._kept.popitem(last=False)
                for row in self._open.pop(evicted, {}):
                    self._instance_of.pop(row, None)

    def __len__(self) -> int:
        return len(self._kept)
