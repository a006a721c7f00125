"""Process entry points for the scheduler: `ipcase scheduler run` and the one `ipcase serve` starts."""
from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from contextlib import contextmanager

from sqlalchemy import select

from engine.context import Context, build_context
from engine.jobs import lease
from engine.jobs.scheduler import SupervisionScheduler
from engine.models import JobRun
from engine.services.notifications import SmtpSender
from engine.startup import freeze_startup_objects


def run_once(ctx: Context) -> dict:
    """Take the lease if free, catch up, run every job once, release."""
    sched = SupervisionScheduler(ctx, sender=SmtpSender.from_env())
    try:
        caught_up = sched.catch_up()
        if not sched._leading:
            return {"leader": False, "holder": (lease.current(ctx) or {}).get("holder")}
        return {"leader": True, "catch_up": caught_up, "tick": sched.tick()}
    finally:
        lease.release(ctx, sched.holder)


def run_forever(ctx: Context | None = None) -> None:
    """Run until SIGTERM or SIGINT; standby while another process holds the lease."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)  # not two lines a second for the watch
    ctx = ctx or build_context()
    sched = SupervisionScheduler(ctx, sender=SmtpSender.from_env())
    freeze_startup_objects()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    sched.start()
    try:
        stop.wait()
    finally:
        sched.shutdown()


@contextmanager
def scheduler_process(enabled: bool = True):
    """The scheduler as a child process of `ipcase serve`, beside gunicorn's master and workers.

    Not inside gunicorn: workers come and go (and fork), a child process does not, and its
    lease keeps it the only acting scheduler even when several machines serve the app.
    """
    if not enabled:
        yield None
        return
    proc = subprocess.Popen([sys.executable, "-m", "engine.jobs.runner"])
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def status(ctx: Context) -> dict:
    with ctx.uow() as uow:
        runs = uow.session.scalars(select(JobRun).order_by(JobRun.job_id)).all()
        jobs = {r.job_id: {"last_run_at": r.last_run_at.isoformat(), "last_result": r.last_result} for r in runs}
    return {"lease": lease.current(ctx), "jobs": jobs}


if __name__ == "__main__":
    run_forever()
