"""Lanes → roles and units → users: the assignment rules applied to every new task row.

`registry` holds the mechanism; the modules imported below register the built-in rules,
so every process that syncs task rows routes them the same way.
"""
from engine.assignment.registry import (
    Routing, apply, is_pinned, may_see, register, register_task_scope, register_visibility, task_scope,
)
from engine.assignment import mediation  # noqa: F401  (registers the mediation rules)

__all__ = ["Routing", "apply", "is_pinned", "may_see", "register", "register_task_scope", "register_visibility",
           "task_scope"]
