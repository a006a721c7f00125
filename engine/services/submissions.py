"""What a form posted to a task needs to know before the task service takes the data."""
from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from engine.context import Context
from engine.errors import NotFound
from engine.models import Case, HumanTask, User
from engine.services.tasks import check_visible


# Built once: a form post asks it on every completion.
_TARGET = (select(User, HumanTask, Case).select_from(User)
           .outerjoin(HumanTask, HumanTask.id == bindparam("task_id"))
           .outerjoin(Case, Case.id == HumanTask.case_id)
           .options(joinedload(User.role_rows))
           .where(User.username == bindparam("username")))


def task_target(ctx: Context, *, username: str, task_id: int) -> dict:
    """The task's form id and case number from one query (a form with files needs the case
    before the step: the files are added to it first).

    Same answers as the task page: an inactive or unknown user or a missing task is NotFound,
    and a task out of the user's scope does not exist for them (audited).
    """
    with ctx.lookup() as uow:
        s = uow.session
        row = s.execute(_TARGET, {"task_id": task_id, "username": username}).unique().one_or_none()
        if row is None or not row.User.active:
            raise NotFound("No active user named {username}.", username=username)
        user, task, case = row
        if task is None:
            raise NotFound("No task {task_id}.", task_id=task_id)
        check_visible(ctx, s, user, task, case)
        return {"form": task.form_id, "case": case.number}
