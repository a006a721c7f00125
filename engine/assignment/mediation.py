"""Mediation routing rules: mediator steps go to the dispute's own mediator, pinned.

The logic lives in engine/services/mediation.py; these are the registrations.
"""
from __future__ import annotations

from engine.assignment.registry import register, register_task_scope, register_visibility


@register("mediation", "mediator", pinned=True)
def mediator_step(session, case, instance, row, now):
    from engine.services.mediation import route_mediator_task
    return route_mediator_task(session, case, instance, row, now)


@register("mediation", "mediation_head")
def centre_head_step(session, case, instance, row, now):
    from engine.services.mediation import route_head_task
    return route_head_task(session, case, instance, row, now)


@register_visibility("mediation")
def mediation_case_visibility(session, user, case):
    from engine.services.mediation import may_see_case
    return may_see_case(session, user, case)


@register_task_scope
def mediator_task_scope(user):
    from engine.services.mediation import task_scope_for
    return task_scope_for(user)
