"""BPMN timers on the engine's clock.

SpiffWorkflow reads `datetime.now(timezone.utc)` when a timer is reached (to fix its due
time) and when timers are refreshed (to fire them). The engine's services take time from
`ctx.clock`, so the timer module's `datetime` is replaced by one whose `now()` returns the
time of the step being run, set per thread (a context variable) by `use_time`; unset, it is
the real time. Tests with a FrozenClock therefore see timers due on the frozen timeline.
"""
from __future__ import annotations

import contextvars
from contextlib import contextmanager
from datetime import datetime, timezone

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module

_NOW: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("ipcase_step_time", default=None)


class _DatetimeMeta(type):
    def __instancecheck__(cls, obj) -> bool:  # real datetimes stay datetimes to the timer code
        return isinstance(obj, datetime)


class StepDatetime(datetime, metaclass=_DatetimeMeta):
    @classmethod
    def now(cls, tz=None):
        fixed = _NOW.get()
        if fixed is None:
            return datetime.now(tz)
        return fixed.astimezone(tz or timezone.utc) if tz else fixed.astimezone(timezone.utc).replace(tzinfo=None)


_timer_module.datetime = StepDatetime


def use_time(now: datetime) -> None:
    """Timers reached or fired from here on (in this thread) use `now` (the step's time)."""
    _NOW.set(now)


@contextmanager
def step_time(now: datetime):
    token = _NOW.set(now)
    try:
        yield
    finally:
        _NOW.reset(token)
