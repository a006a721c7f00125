"""Workflows this process saved recently, so the next step of the same instance need not
deserialise its state again.

The database stays the only source of truth. A workflow is taken out while a step uses it
and kept again only once that step's transaction has committed, tagged with the instance
version it wrote; a step uses it only if the row it read under lock still has that version
(every write of an instance bumps it, whichever process makes it). Another process, a
rolled-back step or an evicted entry only cost a deserialisation.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

from SpiffWorkflow.bpmn import BpmnWorkflow


class WarmRuns:
    def __init__(self, capacity: int = 256):
        self.capacity = capacity
        self._kept: OrderedDict[int, tuple[int, BpmnWorkflow]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, instance_id: int, version: int) -> BpmnWorkflow | None:
        """The kept workflow of the instance if it is the one at `version`; it leaves the cache."""
        with self._lock:
            kept = self._kept.pop(instance_id, None)
        return kept[1] if kept is not None and kept[0] == version else None

    def keep(self, instance_id: int, version: int, workflow: BpmnWorkflow) -> None:
        """Call only after the transaction that wrote `version` committed."""
        if self.capacity <= 0:
            return
        workflow.script_engine = None  # it holds the finished step's session; the next step sets its own
        with self._lock:
            self._kept[instance_id] = (version, workflow)
            self._kept.move_to_end(instance_id)
            while len(self._kept) > self.capacity:
                self._kept.popitem(last=False)

    def __len__(self) -> int:
        return len(self._kept)
