"""The supervision scheduler: APScheduler 3 running the sweeps, gated by the leader lease.

APScheduler's job stores cannot be shared between processes, so every process may run a
scheduler but only the lease holder acts: each job first renews the lease and returns at
once without it. Nothing a second process would need lives in memory: due work is found
in the database each time (indexed `next_*` columns), and what was done is recorded there.
On becoming leader (start, or taking over from a crashed leader) the scheduler catches up:
whatever fell due meanwhile is handled once, oldest first, before the interval jobs run.

Timers and clocks are not left to their intervals: every second the `watch` job asks the
database (one indexed, read-only query) for the earliest due timer and clock check, and
brings the timer or clock sweep forward to that moment, so they are handled within moments
of falling due instead of up to an interval late.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, time, timedelta
from typing import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from engine.clocks.deadlines import LOCAL_TZ, local_date
from engine.context import Context
from engine.jobs import lease
from engine.models import JobRun
from engine.services import mediation_desk, notifications, sweeps

log = logging.getLogger("ipcase.scheduler")

DIGEST_AT = time(8, 0)  # Asia/Shanghai
WATCH_EVERY = timedelta(seconds=1)


class SupervisionScheduler:
    """The jobs, each one line into an engine service, with stable ids."""

    def __init__(self, ctx: Context, sender: notifications.Sender | None = None, holder: str | None = None,
                 ttl: timedelta = timedelta(seconds=60)):
        self.ctx = ctx
        self.sender = sender
        self.holder = holder or lease.holder_id()
        self.ttl = ttl
        self._leading = False
        self._leadership = threading.Lock()  # taking, renewing and catching up: one thread at a time
        self._began: dict[str, datetime] = {}  # job id -> when its last run here began
        self.scheduler: BackgroundScheduler | None = None
        self.jobs: dict[str, Callable[[], object]] = {
            "fire_timers": lambda: sweeps.fire_due_timers(self.ctx),
            "clock_sweep": lambda: sweeps.sweep_clocks(self.ctx),
            "order_sweep": lambda: sweeps.sweep_orders(self.ctx),
            "send_email": lambda: notifications.send_pending(self.ctx, self.sender),
            "daily_digest": lambda: sweeps.daily_digest(self.ctx),
            # absences that have begun hand the mediator's open steps to the named substitute
            "mediation_absences": lambda: len(mediation_desk.delegate_for_absences(self.ctx)),
        }
        # A job never overlaps itself, but different jobs may run at once (a timer firing during
        # a long clock sweep): like two processes' sweeps, they meet only in the database, where
        # row locks and dedup keys keep them apart.
        self._running = {job_id: threading.Lock() for job_id in self.jobs}

    # --- leadership -------------------------------------------------------------------------------

    def is_leader(self) -> bool:
        """Renew (or take) the lease; on becoming leader, catch up first."""
        leading = lease.acquire(self.ctx, self.holder, self.ttl)
        became = leading and not self._leading
        self._leading = leading
        if became:
            log.info("scheduler %s is the leader; catching up", self.holder)
            self._catch_up()
        return leading

    def renew(self) -> bool:
        """The lease_renew job (and the first step of every job): keep (or take) the lease."""
        with self._leadership:
            return self.is_leader()

    def run_job(self, job_id: str):
        """Run one job if this process leads; returns its result, or None when not leading."""
        if not self.renew():
            return None
        return self._run(job_id)

    def _run(self, job_id: str):
        with self._running[job_id]:
            self._began[job_id] = self.ctx.clock.now()
            result = self.jobs[job_id]()
            with self.ctx.uow() as uow:
                uow.session.merge(JobRun(job_id=job_id, last_run_at=self.ctx.clock.now(),
                                         last_result={"result": result if isinstance(result, (int, dict)) else None}))
                uow.commit()
            return result

    def catch_up(self) -> dict:
        """Handle, once and in order, what fell due while no scheduler ran (if leading)."""
        with self._leadership:
            if not lease.acquire(self.ctx, self.holder, self.ttl):
                self._leading = False
                return {}
            self._leading = True
            return self._catch_up()

    def _catch_up(self) -> dict:
        done = {"fire_timers": self._run("fire_timers"), "clock_sweep": self._run("clock_sweep"),
                "order_sweep": self._run("order_sweep"), "mediation_absences": self._run("mediation_absences")}
        if self._digest_missed():
            done["daily_digest"] = self._run("daily_digest")
        self._last_catch_up = done
        return done

    def _digest_missed(self) -> bool:
        now = self.ctx.clock.now()
        today = local_date(now)
        if now.astimezone(LOCAL_TZ).time() < DIGEST_AT:
            return False
        with self.ctx.uow() as uow:
            last = uow.session.get(JobRun, "daily_digest")
            return last is None or local_date(last.last_run_at) < today

    def tick(self) -> dict:
        """Run every interval job once (tests, `ipcase scheduler run --once`)."""
        if not self.renew():
            return {}
        return {job_id: self._run(job_id) for job_id in ("fire_timers", "clock_sweep", "order_sweep",
                                                         "send_email", "mediation_absences")}

    # --- waking up when work falls due ------------------------------------------------------------

    def due_soon(self) -> dict[str, datetime]:
        """The sweeps (fire_timers, clock_sweep) with work falling due before the next watch, and when.

        Only new work counts: what falls due after the sweep's last run here began. What was
        due before and is still there (a timer that would not fire, a clock a user's
        transaction held locked) is retried by the interval jobs, never every second. A
        standby process sends nothing.
        """
        if not self._leading:
            return {}
        timer, check = sweeps.earliest_due(self.ctx, self._began.get("fire_timers"), self._began.get("clock_sweep"))
        horizon = self.ctx.clock.now() + WATCH_EVERY
        return {job_id: at for job_id, at in (("fire_timers", timer), ("clock_sweep", check))
                if at is not None and at < horizon}

    def watch(self) -> dict[str, datetime]:
        """The watch job: bring each sweep with work due soon forward to the moment it falls due."""
        soon = self.due_soon()
        for job_id, at in soon.items():
            job = self.scheduler.get_job(job_id) if self.scheduler else None
            if job is not None and (job.next_run_time is None or job.next_run_time > at):
                job.modify(next_run_time=at)
        return soon

    # --- APScheduler -------------------------------------------------------------------------------

    def build(self, intervals: dict[str, int] | None = None) -> BackgroundScheduler:
        every = {"fire_timers": 30, "clock_sweep": 60, "order_sweep": 300, "send_email": 60,
                 "mediation_absences": 900, **(intervals or {})}
        sched = BackgroundScheduler(timezone=LOCAL_TZ, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        for job_id, seconds in every.items():
            sched.add_job(self.run_job, IntervalTrigger(seconds=seconds), args=[job_id], id=job_id,
                          name=job_id, replace_existing=True)
        sched.add_job(self.watch, IntervalTrigger(seconds=WATCH_EVERY.total_seconds()), id="watch", name="watch",
                      replace_existing=True)
        sched.add_job(self.run_job, CronTrigger(hour=DIGEST_AT.hour, minute=DIGEST_AT.minute, timezone=LOCAL_TZ),
                      args=["daily_digest"], id="daily_digest", name="daily_digest", replace_existing=True)
        # Renewing the lease well inside its lifetime; also how a standby notices it may lead.
        sched.add_job(self.renew, IntervalTrigger(seconds=max(1, int(self.ttl.total_seconds() // 3))),
                      id="lease_renew", name="lease_renew", replace_existing=True,
                      next_run_time=datetime.now(LOCAL_TZ))
        self.scheduler = sched
        return sched

    def start(self, intervals: dict[str, int] | None = None) -> BackgroundScheduler:
        sched = self.build(intervals)
        sched.start()
        return sched

    def shutdown(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        lease.release(self.ctx, self.holder)
        self._leading = False
