"""What a long-running process does once it has started (the scheduler, each web worker)."""
from __future__ import annotations

import gc


def freeze_startup_objects() -> int:
    """Move every object alive now (modules, classes, parsed diagrams and forms, SQLAlchemy's
    metadata) out of the garbage collector's reach; returns how many.

    A full collection walks every tracked object; without this, one that a sweep's or a
    request's allocations happen to set off walks the whole startup heap too (~50 ms in the
    deadline_sweep benchmark's process). Startup objects live as long as the process, so
    nothing collectable is lost.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
