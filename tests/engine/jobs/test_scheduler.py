"""The scheduler: due BPMN timers fire once, in order, after an outage too; only the lease
holder acts; warnings, breaches and escalations happen once; two processes never double up."""
import json
import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.context import build_context
from engine.jobs import lease
from engine.jobs.scheduler import SupervisionScheduler
from engine.models import (
    AuditEvent, Case, CaseClock, ClockEvent, HumanTask, Notification, User, WorkflowDefinition, WorkflowInstance,
)
from engine.services import instances, notifications, sweeps
from engine.services.definitions import deploy
from engine.settings import PROJECT_ROOT
from tests.engine.services.helpers import open_case
from tests.statements import statements

TIMER_XML = (Path(__file__).parent / "data" / "timer_case.bpmn").read_bytes()
SEP_23 = datetime(2026, 9, 23, 1, 30, tzinfo=timezone.utc)


@pytest.fixture
def timer_ctx(ctx, clock):
    with ctx.uow() as uow:
        deploy(uow.session, ctx.forms, TIMER_XML, "timer_case", "timer_case.bpmn", clock.now())
        uow.commit()
    return ctx


def start_timer_case(ctx) -> str:
    """An enforcement case with a second instance waiting on a 2-day boundary timer."""
    number = open_case(ctx)["number"]
    with ctx.uow() as uow:
        s = uow.session
        case = s.scalar(select(Case).where(Case.number == number))
        instances.start(ctx, s, case, "timer_case", ctx.clock.now(), None)
        uow.commit()
    return number


def fired(ctx) -> list[int]:
    with ctx.uow() as uow:
        return list(uow.session.scalars(select(AuditEvent.case_id).where(AuditEvent.action == "timer.fired")
                                        .order_by(AuditEvent.id)))


def chase_tasks(ctx) -> int:
    with ctx.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.bpmn_id == "chase"))


def case_ids(ctx, numbers):
    with ctx.uow() as uow:
        ids = dict(uow.session.execute(select(Case.number, Case.id)).all())
    return [ids[n] for n in numbers]


def test_timers_are_indexed_and_fire_on_the_engines_clock(timer_ctx, clock):
    number = start_timer_case(timer_ctx)
    with timer_ctx.uow() as uow:
        [due] = uow.session.scalars(select(WorkflowInstance.next_timer_at)
                                    .where(WorkflowInstance.next_timer_at.is_not(None))).all()
    assert due == clock.now() + timedelta(days=2)
    clock.advance(timedelta(days=1))
    assert sweeps.fire_due_timers(timer_ctx) == 0
    clock.advance(timedelta(days=1, seconds=1))
    assert sweeps.fire_due_timers(timer_ctx) == 1
    assert fired(timer_ctx) == case_ids(timer_ctx, [number])
    assert chase_tasks(timer_ctx) == 1
    assert sweeps.fire_due_timers(timer_ctx) == 0


def test_catch_up_after_an_outage_handles_everything_once_in_due_order(timer_ctx, clock):
    clock.set(SEP_23)
    numbers = []
    for _ in range(3):
        numbers.append(start_timer_case(timer_ctx))
        clock.advance(timedelta(hours=5))
    # nobody ran a scheduler for four weeks: timers, warnings, breaches and escalations all fell due
    clock.set(datetime(2026, 10, 26, 1, tzinfo=timezone.utc))
    sched = SupervisionScheduler(timer_ctx, holder="a")
    done = sched.catch_up()
    assert done["fire_timers"] == 3
    assert done["clock_sweep"] == {"warned": 0, "breached": 3, "escalated": 3}
    assert fired(timer_ctx) == case_ids(timer_ctx, numbers)  # oldest due first
    with timer_ctx.uow() as uow:
        breached = uow.session.scalars(select(ClockEvent.clock_id).where(ClockEvent.kind == "breached")
                                       .order_by(ClockEvent.id)).all()
    assert breached == sorted(breached)
    again = sched.tick()
    assert again["fire_timers"] == 0 and again["clock_sweep"] == {"warned": 0, "breached": 0, "escalated": 0}
    assert chase_tasks(timer_ctx) == 3


def test_only_the_lease_holder_acts_and_a_dead_leaders_lease_is_taken_over(timer_ctx, clock):
    second_ctx = build_context(timer_ctx.settings, clock=clock)  # another process: its own engine
    a = SupervisionScheduler(timer_ctx, holder="host-a:1", ttl=timedelta(seconds=60))
    b = SupervisionScheduler(second_ctx, holder="host-b:2", ttl=timedelta(seconds=60))
    start_timer_case(timer_ctx)
    assert a.tick() != {}
    clock.advance(timedelta(days=3))
    assert a.is_leader()           # a renews its lease (its timer job has not run yet)
    assert b.tick() == {}          # so b does nothing
    assert b.run_job("fire_timers") is None
    assert fired(timer_ctx) == []
    clock.advance(timedelta(seconds=61))  # a stopped renewing (crashed)
    assert b.run_job("fire_timers") == 0  # b became leader and caught up first
    assert len(fired(timer_ctx)) == 1
    assert lease.current(timer_ctx)["holder"] == "host-b:2"
    assert a.tick() == {}
    b.shutdown()
    assert lease.current(timer_ctx) is None
    second_ctx.db.dispose()


def test_two_sweepers_at_once_fire_each_timer_once(timer_ctx, clock):
    """No lease here: the row locks (SKIP LOCKED on PostgreSQL) alone keep each timer single."""
    numbers = [start_timer_case(timer_ctx) for _ in range(6)]
    clock.advance(timedelta(days=3))
    contexts = [build_context(timer_ctx.settings, clock=clock) for _ in range(2)]
    results, errors = [], []
    barrier = threading.Barrier(2)

    def sweep(c):
        try:
            barrier.wait()
            results.append(sweeps.fire_due_timers(c))
        except Exception as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=sweep, args=(c,)) for c in contexts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in contexts:
        c.db.dispose()
    assert errors == []
    assert sum(results) == 6
    assert sorted(fired(timer_ctx)) == sorted(case_ids(timer_ctx, numbers))
    assert chase_tasks(timer_ctx) == 6


def test_two_scheduler_processes_fire_each_timer_once(timer_ctx, clock):
    """Two `ipcase scheduler run --once` processes started together (real clock: every timer is due)."""
    for _ in range(4):
        start_timer_case(timer_ctx)
    env = {**os.environ, "DATABASE_URL": timer_ctx.settings.database_url,
           "IPCASE_DB_SCHEMA": timer_ctx.settings.database_schema or ""}
    cmd = [sys.executable, "-c", "from web.cli import main; main()", "scheduler", "run", "--once"]
    procs = [subprocess.Popen(cmd, env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    reports = [json.loads(out) for out, _ in outputs]
    assert any(r["leader"] for r in reports)
    assert sum(r["catch_up"]["fire_timers"] + r["tick"]["fire_timers"] for r in reports if r["leader"]) == 4
    assert len(fired(timer_ctx)) == 4 and chase_tasks(timer_ctx) == 4


def test_warning_breach_and_escalation_each_happen_once(ctx, clock):
    clock.set(SEP_23)
    number = open_case(ctx)["number"]  # filing clock due 2026-10-21, warned 3 working days before
    clock.set(datetime(2026, 10, 15, 2, tzinfo=timezone.utc))
    assert sweeps.sweep_clocks(ctx) == {"warned": 0, "breached": 0, "escalated": 0}
    clock.set(datetime(2026, 10, 16, 2, tzinfo=timezone.utc))
    assert sweeps.sweep_clocks(ctx) == {"warned": 1, "breached": 0, "escalated": 0}
    assert sweeps.sweep_clocks(ctx) == {"warned": 0, "breached": 0, "escalated": 0}
    assert kinds_for(ctx, "daiyue.officer1") == ["warning"]
    clock.set(datetime(2026, 10, 21, 15, 59, tzinfo=timezone.utc))  # 23:59 on the due day
    assert sweeps.sweep_clocks(ctx)["breached"] == 0
    clock.set(datetime(2026, 10, 21, 16, tzinfo=timezone.utc))
    assert sweeps.sweep_clocks(ctx) == {"warned": 0, "breached": 1, "escalated": 0}
    clock.set(datetime(2026, 10, 22, 16, tzinfo=timezone.utc))  # one working day later
    assert sweeps.sweep_clocks(ctx) == {"warned": 0, "breached": 0, "escalated": 1}
    assert sweeps.sweep_clocks(ctx) == {"warned": 0, "breached": 0, "escalated": 0}
    assert kinds_for(ctx, "daiyue.officer1") == ["breach", "warning"]
    assert kinds_for(ctx, "daiyue.head") == ["breach"]
    assert kinds_for(ctx, "daiyue.supervisor") == ["escalation"]
    assert kinds_for(ctx, "city.supervisor") == ["escalation"]
    assert kinds_for(ctx, "taishan.supervisor") == []
    from engine.services import cases
    view = cases.show_case(ctx, number)
    assert [c["state"] for c in view["clocks"]] == ["breached"]
    assert [e["action"] for e in view["timeline"]][-2:] == ["clock.breached", "clock.escalated"]


def kinds_for(ctx, username):
    return [n["kind"] for n in notifications.list_for(ctx, username=username)]


class FakeSender:
    def __init__(self):
        self.sent = []

    def send(self, to, subject, body):
        self.sent.append((to, subject))


def test_notifications_are_mailed_once_when_smtp_is_configured(ctx, clock, monkeypatch):
    clock.set(SEP_23)
    open_case(ctx)
    clock.set(datetime(2026, 10, 16, 2, tzinfo=timezone.utc))
    sweeps.sweep_clocks(ctx)
    assert notifications.send_pending(ctx, None) == 0  # no SMTP: nothing mailed
    monkeypatch.setenv("IPCASE_MAIL_DOMAIN", "taian.example")
    sender = FakeSender()
    sched = SupervisionScheduler(ctx, sender=sender, holder="mailer")
    mailed = sched.run_job("send_email")  # becoming leader, it also sent the day's digest first
    assert mailed == len(sender.sent) >= 2
    assert sched.run_job("send_email") == 0
    assert ("daiyue.officer1@taian.example", "即将到期：泰岱市监知线〔2026〕1号 核查线索、决定是否立案") in sender.sent
    assert "daiyue.head@taian.example" in {to for to, _ in sender.sent}  # the digest
    with ctx.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Notification)
                                  .where(Notification.emailed_at.is_(None))) == 0


def test_the_daily_digest_goes_out_once_a_day(ctx, clock):
    clock.set(SEP_23)
    open_case(ctx)
    clock.set(datetime(2026, 10, 22, 0, 5, tzinfo=timezone.utc))  # 08:05 in Tai'an, a day late
    sweeps.sweep_clocks(ctx)
    first = sweeps.daily_digest(ctx)
    assert first >= 3  # daiyue.head, daiyue.supervisor, city.supervisor (and the admin sees nothing)
    assert sweeps.daily_digest(ctx) == 0
    assert "超期 1 件" in [n for n in notifications.list_for(ctx, username="city.supervisor")
                          if n["kind"] == "digest"][0]["body"]
    with ctx.uow() as uow:
        heads = uow.session.scalars(select(User.username).join(Notification, Notification.user_id == User.id)
                                    .where(Notification.kind == "digest")).all()
    assert "taishan.head" not in heads


class FlakySender(FakeSender):
    def send(self, to, subject, body):
        if self.sent:
            raise OSError("SMTP server went away")
        super().send(to, subject, body)


def test_a_failing_mail_server_stops_the_run_without_mailing_anyone_twice(ctx, clock, monkeypatch):
    clock.set(SEP_23)
    open_case(ctx)
    clock.set(datetime(2026, 10, 22, 2, tzinfo=timezone.utc))
    sweeps.sweep_clocks(ctx)  # breach: the officer and the unit head
    monkeypatch.setenv("IPCASE_MAIL_DOMAIN", "taian.example")
    flaky = FlakySender()
    with pytest.raises(OSError):
        notifications.send_pending(ctx, flaky)
    assert len(flaky.sent) == 1
    steady = FakeSender()
    assert notifications.send_pending(ctx, steady) == 1
    assert flaky.sent[0] not in steady.sent


def statements_during(ctx, action):
    """What `action` returns, and the SQL statements it sent (BEGIN aside, which SQLite sends)."""
    with statements(ctx) as sent:
        result = action()
    return result, [s for s in sent if s != "BEGIN"]


def test_the_watch_brings_the_sweeps_forward_to_the_moment_work_falls_due(timer_ctx, clock):
    start_timer_case(timer_ctx)
    with timer_ctx.uow() as uow:
        [timer_due] = uow.session.scalars(select(WorkflowInstance.next_timer_at)
                                          .where(WorkflowInstance.next_timer_at.is_not(None))).all()
        [check_due] = uow.session.scalars(select(CaseClock.next_check_at)).all()
    sched = SupervisionScheduler(timer_ctx, holder="a")
    sched.catch_up()
    sched.build().start(paused=True)  # the jobs are scheduled, nothing runs by itself
    try:
        assert sched.watch() == {}
        clock.set(timer_due - timedelta(milliseconds=500))
        assert sched.watch() == {"fire_timers": timer_due}
        assert sched.scheduler.get_job("fire_timers").next_run_time == timer_due
        clock.set(timer_due + timedelta(milliseconds=1))
        assert sched.run_job("fire_timers") == 1
        assert sched.watch() == {}
        clock.set(check_due - timedelta(milliseconds=200))
        assert sched.watch() == {"clock_sweep": check_due}
        assert sched.scheduler.get_job("clock_sweep").next_run_time == check_due
    finally:
        sched.shutdown()


def test_watching_costs_the_leader_one_read_a_second_and_a_standby_nothing(timer_ctx, clock):
    start_timer_case(timer_ctx)
    second_ctx = build_context(timer_ctx.settings, clock=clock)
    leader = SupervisionScheduler(timer_ctx, holder="host-a:1")
    standby = SupervisionScheduler(second_ctx, holder="host-b:2")
    leader.catch_up()
    standby.catch_up()
    clock.advance(timedelta(days=2) - timedelta(milliseconds=300))  # the timer falls due in 0.3 s
    soon, sent = statements_during(timer_ctx, leader.due_soon)
    assert list(soon) == ["fire_timers"] and sent == ["SELECT"]
    assert statements_during(second_ctx, standby.due_soon) == ({}, [])
    second_ctx.db.dispose()


def test_work_already_due_at_the_last_sweep_is_left_to_the_interval_job(timer_ctx, clock):
    """A timer that was due when the timer sweep last ran and is still there (it would not fire)
    is not retried every second."""
    start_timer_case(timer_ctx)
    sched = SupervisionScheduler(timer_ctx, holder="a")
    clock.advance(timedelta(days=3))
    assert sched.catch_up()["fire_timers"] == 1
    with timer_ctx.uow() as uow:  # as if a timer had refused to fire: due since before that sweep
        instance = uow.session.scalar(select(WorkflowInstance).join(WorkflowInstance.definition)
                                      .where(WorkflowDefinition.process_id == "timer_case"))
        instance.next_timer_at = clock.now() - timedelta(seconds=1)
        uow.commit()
    clock.advance(timedelta(seconds=30))
    assert sched.due_soon() == {}
    assert sched.run_job("fire_timers") == 1  # the interval job still tries it


def test_a_timer_fires_while_a_long_clock_sweep_runs(timer_ctx, clock):
    start_timer_case(timer_ctx)
    sched = SupervisionScheduler(timer_ctx, holder="a")
    sched.catch_up()
    sweeping, release = threading.Event(), threading.Event()

    def long_sweep():
        sweeping.set()
        release.wait(timeout=60)
        return {"warned": 0, "breached": 0, "escalated": 0}

    sched.jobs["clock_sweep"] = long_sweep
    sweep = threading.Thread(target=sched.run_job, args=["clock_sweep"])
    sweep.start()
    try:
        assert sweeping.wait(timeout=60)
        clock.advance(timedelta(days=2, seconds=1))
        fired = []
        timers = threading.Thread(target=lambda: fired.append(sched.run_job("fire_timers")))
        timers.start()
        timers.join(timeout=60)  # (held up by the sweep, it would still wait here)
        assert fired == [1] and not release.is_set()
        assert chase_tasks(timer_ctx) == 1
    finally:
        release.set()
        sweep.join()
