"""Engine operators that BPMN service tasks may call (see workflows/README.md).

Each operator is bound to the case and transaction of the step that runs it, so what
it writes commits or rolls back with the step.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine.models import Case, CaseNumber, User
from engine.services import audit, numbers

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def operators_for(session: Session, case: Case, now: datetime, actor: User | None,
                  settings=None) -> dict[str, Callable]:
    def issue_case_number(task, kind: str) -> str:
        """Issue the next number of `kind` (立 for filing) in the case's unit."""
        existing = next((n for n in case.numbers if n.kind == kind), None)
        if existing:  # re-running a step never issues a second number
            return existing.number
        number = numbers.next_number(session, case.unit, now.astimezone(LOCAL_TZ).year, kind)
        case.numbers.append(CaseNumber(kind=kind, number=number, issued_by=case.unit.name, issued_at=now))
        audit.record(session, at=now, action="case.number_issued", actor=actor, case=case,
                     after={"kind": kind, "number": number})
        return number

    from engine.services import transfers  # transfers imports the services that import this module

    from engine.services import mediation_steps  # mediation.bpmn's service tasks

    return {"issue_case_number": issue_case_number, **transfers.operators(settings, session, case, now, actor),
            **mediation_steps.operators_for(session, case, now, actor)}
