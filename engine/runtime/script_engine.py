"""The script engine given to every workflow: a small, explicit environment.

Conditions see task data (each form under its own key) and a few whitelisted helpers;
builtins are reduced to what simple conditions need. This is hardening, not a sandbox:
only trusted administrators deploy BPMN (see workflows/README.md).
Service tasks call *operators*: named engine functions registered per step by the
stepper (e.g. issuing a case number), never code taken from user input.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Callable, Mapping

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

SAFE_BUILTINS = {
    "len": len, "min": min, "max": max, "abs": abs, "any": any, "all": all, "sum": sum,
    "int": int, "float": float, "str": str, "bool": bool, "round": round, "sorted": sorted,
    "True": True, "False": False, "None": None,
}
HELPERS = {"Decimal": Decimal, "date": date, "datetime": datetime, "timedelta": timedelta}
RESERVED_NAMES = frozenset(SAFE_BUILTINS) | frozenset(HELPERS) | {"__builtins__"}

Operator = Callable[..., object]


class OperatorScriptEngine(PythonScriptEngine):
    """Evaluates conditions in the restricted environment and routes service tasks."""

    def __init__(self, operators: Mapping[str, Operator] | None = None,
                 before_operator: Callable[[], None] | None = None):
        """`before_operator` runs before each operator call (the engine sends the writes its
        step held back: operators read and write the database)."""
        env = TaskDataEnvironment({"__builtins__": SAFE_BUILTINS, **HELPERS})
        super().__init__(environment=env)
        self.operators = dict(operators or {})
        self.before_operator = before_operator

    def call_service(self, task, operation_name=None, operation_params=None, **kwargs):
        operator = self.operators.get(operation_name)
        if operator is None:
            raise WorkflowTaskException(f"unknown service operator {operation_name!r}", task=task)
        params = {name: p["value"] for name, p in (operation_params or {}).items()}
        if self.before_operator is not None:
            self.before_operator()
        try:
            result = operator(task=task, **params)
        except (ValueError, LookupError) as err:  # an operator refusing its input: the step fails cleanly
            raise WorkflowTaskException(f"{operation_name}: {err}", task=task) from err
        return json.dumps(result, default=str)
