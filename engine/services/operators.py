"""Engine operators that BPMN service tasks may call (see workflows/README.md).

Each operator is bound to the case and transaction of the step that runs it, so what
it writes commits or rolls back with the step.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import AuditEvent, Case, CaseNumber, User
from engine.services import audit, numbers
from engine.store import together

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def operators_for(session: Session, case: Case, now: datetime, actor: User | None,
                  settings=None) -> dict[str, Callable]:
    def issue_case_number(task, kind: str) -> str:
        """Issue the next number of `kind` (立 for filing) in the case's unit; re-running a step
        never issues a second number. The number's row and audit event go with the step's
        last write (`together.held`: the step's next operator or its commit sends them)."""
        issued = numbers.next_number_for_case(session, case.id, case.unit_id, now.astimezone(LOCAL_TZ).year, kind)
        if issued is None:
            return session.scalar(select(CaseNumber.number).where(CaseNumber.case_id == case.id,
                                                                  CaseNumber.kind == kind))
        held = together.held(session)
        held.insert(CaseNumber(case_id=case.id, kind=kind, number=issued.number, issued_by=issued.issued_by,
                               issued_at=now))
        held.insert(AuditEvent(**audit.row(at=now, action="case.number_issued", actor_id=actor.id if actor else None,
                                           case_id=case.id, after={"kind": kind, "number": issued.number})))
        session.expire(case, ["numbers"])  # if loaded, read again once sent
        return issued.number

    from engine.services import transfers  # transfers imports the services that import this module

    from engine.services import mediation_steps  # mediation.bpmn's service tasks

    return {"issue_case_number": issue_case_number, **transfers.operators(settings, session, case, now, actor),
            **mediation_steps.operators_for(session, case, now, actor)}
