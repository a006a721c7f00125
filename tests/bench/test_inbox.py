"""The inbox benchmark's generated tasks are ones the inbox lists: the officer's own and their
group's open tasks, found by the queries the web runs (each of which the benchmark times)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bench.inbox import generate
from engine.models import HumanTask, User
from engine.services import inbox

pytestmark = pytest.mark.postgresql_only  # generated server-side with generate_series


def test_generated_tasks_are_listed_in_the_officers_inbox(ctx):
    generate(ctx, n_open=3000, n_closed=6000)

    with ctx.uow() as uow:
        s = uow.session
        assert s.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.state == "open")) == 3000
        user_id = s.scalar(select(User.id).where(User.username == "daiyue.officer1"))
        found = {name: len(s.execute(build(s)).all())
                 for name, build in inbox.benchmark_queries(user_id, ctx.clock.now()).items()}
    assert found["mine_due"] and found["group_due"] and found["group_overdue"], found
