"""A workflow this process saved is used again for the instance's next step, and only while
the database still holds exactly what it saved."""
import pytest

from engine.context import build_context
from engine.errors import Conflict
from engine.runtime import serializer
from engine.services import cases, clocks

from .helpers import complete, open_case, open_task


@pytest.fixture
def loads(monkeypatch):
    """How many times a workflow state was deserialised."""
    count = [0]
    real = serializer.load

    def counted(*args, **kwargs):
        count[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(serializer, "load", counted)
    return count


def test_the_next_step_of_an_instance_does_not_deserialise_it_again(ctx, loads):
    number = open_case(ctx)["number"]
    complete(ctx, number, "register_lead", "daiyue.officer1")
    complete(ctx, number, "verify_lead", "daiyue.officer1")
    assert loads[0] == 0
    assert open_task(ctx, number)["step"] == "decide_filing"


def test_a_step_another_process_saved_meanwhile_is_read_from_the_database(ctx, loads):
    other = build_context(ctx.settings, clock=ctx.clock)  # a second web process on the same database
    try:
        number = open_case(ctx)["number"]
        complete(ctx, number, "register_lead", "daiyue.officer1")
        complete(other, number, "verify_lead", "daiyue.officer1")  # this process's copy is now stale
        loads[0] = 0
        complete(ctx, number, "decide_filing", "daiyue.head")
        assert loads[0] == 1
        steps = [e["details"]["step"] for e in cases.show_case(ctx, number)["timeline"]
                 if e["action"] == "task.completed"]
        assert steps == ["register_lead", "verify_lead", "decide_filing"]
    finally:
        other.db.dispose()


def test_a_step_that_failed_after_running_the_workflow_leaves_no_half_run_copy(ctx, monkeypatch, loads):
    number = open_case(ctx)["number"]
    complete(ctx, number, "register_lead", "daiyue.officer1")
    real = clocks.on_step

    def fail_once(*args, **kwargs):
        monkeypatch.setattr(clocks, "on_step", real)
        raise Conflict("simulated failure after the workflow moved on")

    monkeypatch.setattr(clocks, "on_step", fail_once)
    task = open_task(ctx, number, "verify_lead")
    with pytest.raises(Conflict):
        complete(ctx, number, "verify_lead", "daiyue.officer1")
    assert open_task(ctx, number)["id"] == task["id"]  # rolled back: still waiting
    complete(ctx, number, "verify_lead", "daiyue.officer1")  # the retry starts from the saved state
    assert open_task(ctx, number)["step"] == "decide_filing"
    assert loads[0] == 1
