"""Demo data: the Tai'an org, users of every role, and cases driven to every state."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from engine.context import Context
from engine.forms.samples import sample_submission
from engine.models import HumanTask, Role, Unit, User
from engine.services import cases, org, tasks
from engine.services.deploy import deploy_all
from engine.services.users import hash_password

DEMO_PASSWORD = "ipcase-demo"


@dataclass(frozen=True)
class Scenario:
    """A case to open and the answers that drive it; stops when `until` is the open step."""

    title: str
    unit: str
    ip_type: str
    answers: dict[str, dict] = field(default_factory=dict)
    until: str | None = None
    respondent: str = "泰安市某某商贸有限公司"
    is_major: bool = False


def holder_for(session, task: HumanTask) -> str:
    """A user who can do the task: its holder, else the first user of its role and unit."""
    if task.assignee_id:
        return session.get(User, task.assignee_id).username
    user = session.scalar(select(User).where(User.unit_id == task.unit_id, User.active.is_(True),
                                             User.role_rows.any(role=Role(task.role)))
                          .order_by(User.username).limit(1))
    if user is None:
        raise LookupError(f"nobody in unit {task.unit_id} has the role {task.role}")
    return user.username


def drive(ctx: Context, number: str, answers: dict[str, dict | list[dict]], until: str | None = None,
          max_steps: int = 200) -> dict:
    """Complete the case's open tasks with sample data until it ends or reaches `until`.

    `answers` overrides the sample data per step id; a list gives one override per visit
    of the step (the last one repeats), e.g. legal review returning the case once.
    """
    visits: dict[str, int] = {}
    for _ in range(max_steps):
        view = cases.show_case(ctx, number)
        todo = [t for t in view["open_tasks"] if t["step"] != until]
        if not todo or len(todo) < len(view["open_tasks"]):
            return view
        task = todo[0]
        with ctx.uow() as uow:
            username = holder_for(uow.session, uow.session.get(HumanTask, task["id"]))
        data = sample_submission(ctx.forms.get(task["form"]), _answer(answers, task["step"], visits))
        tasks.complete(ctx, username=username, task_id=task["id"], data=data)
    raise RuntimeError(f"case {number} did not settle in {max_steps} steps")


def _answer(answers: dict, step: str, visits: dict[str, int]) -> dict | None:
    answer = answers.get(step)
    n = visits[step] = visits.get(step, 0) + 1
    if isinstance(answer, list):
        return answer[min(n, len(answer)) - 1]
    return answer


def run_scenario(ctx: Context, scenario: Scenario, opener: str) -> dict:
    opened = cases.open_case(ctx, username=opener, pipeline="enforcement", unit_code=scenario.unit, fields={
        "title": scenario.title, "ip_type": scenario.ip_type, "is_major": scenario.is_major,
        "respondent": {"name": scenario.respondent, "kind": "enterprise"},
    })
    return drive(ctx, opened["number"], scenario.answers, scenario.until)


def load(ctx: Context) -> str:
    """Load everything once; a second run changes nothing."""
    deploy_all(ctx)
    with ctx.uow() as uow:
        if uow.session.scalar(select(Unit.id).limit(1)):
            return "demo data already loaded"
        units = org.seed_units(uow.session)
        people = org.seed_users(uow.session, units, hash_password(DEMO_PASSWORD), ctx.clock.now())
        uow.commit()
    from engine.services.demo_cases import SCENARIOS
    for scenario in SCENARIOS:
        run_scenario(ctx, scenario, opener=f"{scenario.unit}.officer1")
    from engine.services import mediation_demo  # the mediator roster and mediation disputes
    mediation_demo.load(ctx)
    return f"loaded {len(units)} units, {len(people)} users, {len(SCENARIOS)} cases; password: {DEMO_PASSWORD}"
