"""The engine's small exception hierarchy; web/ and the CLI map these to responses.

Messages are stored as a message id plus parameters so that each front end can
translate them; `str(err)` gives the English text.
"""
from __future__ import annotations


class DomainError(Exception):
    """Base of every error a user can cause or see."""

    code = "error"

    def __init__(self, message: str, **params):
        super().__init__(message.format(**params) if params else message)
        self.message = message
        self.params = params


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    code = "forbidden"


class Conflict(DomainError):
    code = "conflict"


class TaskAlreadyCompleted(Conflict):
    code = "task_already_completed"


class Invalid(DomainError):
    """Bad input; `errors` maps each field name to a list of messages."""

    code = "invalid"

    def __init__(self, message: str, errors: dict | None = None, **params):
        super().__init__(message, **params)
        self.errors = errors or {}


class WorkflowDefinitionError(Invalid):
    """A BPMN file or form definition that cannot be deployed."""

    code = "workflow_definition"


class TooManyAttempts(DomainError):
    """Too many failed attempts in a short time; `params["seconds"]` says how long to wait."""

    code = "too_many_attempts"
