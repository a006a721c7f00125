"""Deadline sweep: how long the scheduler's clock sweep takes with many running clocks
(1M full, 50k quick) of which 1,000 are due, and with none due; then how late timers fire
under load.

Clock rows are generated in bulk (COPY on PostgreSQL, executemany on SQLite), all on one
case, since the sweep never reads the case except for what is due. The sweep finds due
clocks by the index on `clocks.next_check_at`, so its cost follows the due rows, not the
running ones: the figure to watch is `empty_sweep_ms` staying flat as clocks grow. The
1,000 are swept twice over: first by a process that has not swept before (its statement
caches cold), then, once 1,000 more fall due, as the scheduler's every-minute sweeps run.

Lateness: the real scheduler process (`python -m engine.jobs.runner`, as `ipcase serve`
starts it, with its real intervals) runs beside two processes completing enforcement tasks
through the engine services, with the clocks above still running. Over a window, BPMN timers
are started that fall due a few seconds later, and 1,000 more clocks fall due at one moment
in the middle (as a day's deadlines do at midnight). A poller notes when each firing and
each breach becomes visible (committed): lateness is that wall-clock moment minus the due one.
"""
from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import event, func, select, text

from bench.common import percentile, print_table, save, scratch_context, vm_hwm_mb
from bench.throughput import complete_cases
from engine.clocks.clock import SystemClock
from engine.context import build_context
from engine.jobs.scheduler import WATCH_EVERY
from engine.models import AuditEvent, Case, CaseClock, ClockEvent, JobRun, WorkflowInstance
from engine.services import cases, instances, sweeps
from engine.services.definitions import deploy
from engine.settings import Settings

DUE = 1000
COLUMNS = ("case_id", "unit_id", "rule", "pipeline", "state", "length", "unit", "extension", "start_date",
           "started_at", "due_date", "due_at", "warn_at", "next_check_at", "explanation", "calendar_gap",
           "updated_at")


def clock_rows(n: int, due: int, case_id: int, unit_id: int, now: datetime, due_at_once: datetime | None = None):
    """n running clocks; the first `due` are past their due moment, the rest due in 1–60 days
    (with `due_at_once`, all n fall due at that moment)."""
    for i in range(n):
        if due_at_once is not None:
            due_at = due_at_once
        elif i < due:
            due_at = now - timedelta(hours=1 + i % 48)
        else:
            due_at = now + timedelta(days=1 + i % 60, minutes=i % 1440)
        warn_at = due_at - timedelta(days=3)
        check = warn_at if warn_at > now else due_at
        if i < due or due_at_once is not None:
            check = due_at
        day = (due_at + timedelta(hours=8)).date()
        yield (case_id, unit_id, "filing_decision", "enforcement", "running", 15, "working_days", 0,
               day - timedelta(days=21), due_at - timedelta(days=21), day, due_at, warn_at, check, "{}", False,
               now)


def _naive(value):
    return value.astimezone(timezone.utc).replace(tzinfo=None) if isinstance(value, datetime) else value


def _insert_postgres(ctx, rows) -> None:
    raw = ctx.db.raw_connection()
    try:
        cur = raw.cursor()
        with cur.copy(f"COPY clocks ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([_naive(v) for v in row])
        raw.commit()
    finally:
        raw.close()


def _insert_sqlite(ctx, rows, chunk: int = 20000) -> None:
    sql = f"INSERT INTO clocks ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    raw = ctx.db.raw_connection()
    try:
        cur = raw.cursor()
        batch = []
        cur.execute("BEGIN")
        for row in rows:
            batch.append(tuple(str(v) if isinstance(v, (datetime, date)) else v
                               for v in (_naive(x) for x in row)))
            if len(batch) >= chunk:
                cur.executemany(sql, batch)
                batch.clear()
        if batch:
            cur.executemany(sql, batch)
        cur.execute("COMMIT")
    finally:
        raw.close()


def insert_clocks(ctx, rows) -> None:
    (_insert_postgres if ctx.db.dialect.name == "postgresql" else _insert_sqlite)(ctx, rows)


def settle(ctx) -> None:
    """Statistics and the visibility map, as a live table has them: without VACUUM the sweep
    would pay for freshly loaded rows (hint bits) and meet the autovacuum the load set off."""
    if ctx.db.dialect.name != "postgresql":
        with ctx.db.begin() as conn:
            conn.execute(text("ANALYZE"))
        return
    with ctx.db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE clocks"))


def timed_sweep(ctx) -> tuple[dict, float, int]:
    """One clock sweep: what it did, its seconds, and the SQL statements it sent (SQLite's
    BEGIN not counted: PostgreSQL's driver begins without a statement of its own)."""
    sent = []

    def listener(conn, cursor, statement, *args):
        if not statement.startswith("BEGIN"):
            sent.append(statement)
    event.listen(ctx.db, "before_cursor_execute", listener)
    try:
        start = time.perf_counter()
        counts = sweeps.sweep_clocks(ctx)
        return counts, time.perf_counter() - start, len(sent)
    finally:
        event.remove(ctx.db, "before_cursor_execute", listener)


def _plan(ctx, now: datetime) -> str:
    """The plan of the sweep's query for due clocks (as `sweeps.sweep_clocks` sends it)."""
    query = f"SELECT id FROM clocks WHERE next_check_at <= :now ORDER BY next_check_at, id LIMIT {sweeps.CLOCK_BATCH}"
    postgres = ctx.db.dialect.name == "postgresql"
    with ctx.db.connect() as conn:
        rows = conn.execute(text(f"EXPLAIN {query} FOR UPDATE SKIP LOCKED" if postgres else f"EXPLAIN QUERY PLAN {query}"),
                            {"now": _naive(now)}).all()
    return " | ".join(r[0].strip() if postgres else str(r[-1]) for r in rows)


# --- timer lateness under load -----------------------------------------------------------------

TIMER_DIAGRAM = Path(__file__).resolve().parent.parent / "tests" / "engine" / "jobs" / "data" / "timer_case.bpmn"
TIMER_WAIT = 8  # seconds from starting a timer to its due moment
LOAD_PROCESSES = 2
POLL_SECONDS = 0.01


def _deploy_short_timer(ctx) -> None:
    """The scheduler tests' diagram (a reply awaited for two days, then chased), waiting seconds instead."""
    xml = TIMER_DIAGRAM.read_bytes().replace(b'"P2D"', f'"PT{TIMER_WAIT}S"'.encode())
    with ctx.uow() as uow:
        deploy(uow.session, ctx.forms, xml, "timer_case", "timer_case.bpmn", ctx.clock.now())
        uow.commit()


def _start_timer(ctx, case_id: int) -> datetime:
    """Start a timer instance on the case; returns its due moment."""
    with ctx.uow() as uow:
        s = uow.session
        instance, _ = instances.start(ctx, s, s.get(Case, case_id), "timer_case", ctx.clock.now(), None)
        uow.commit()
        return instance.next_timer_at


def _complete_tasks(url: str, schema: str | None, stop_at: float, done) -> None:
    """A load process: open enforcement cases and complete all their tasks until `stop_at`."""
    ctx = build_context(Settings(database_url=url, database_schema=schema), clock=SystemClock())
    count = 0
    while time.time() < stop_at:
        count += complete_cases(ctx, 1)[0]
    with done.get_lock():
        done.value += count
    ctx.db.dispose()


class _Visibility(threading.Thread):
    """Polls for fired timers (audit `timer.fired`) and breached clocks (`clock_events`) and notes
    the wall-clock moment each became visible."""

    def __init__(self, ctx):
        super().__init__(daemon=True)
        self.ctx, self.stop = ctx, threading.Event()
        self.timers: dict[int, datetime] = {}   # case id -> seen
        self.clocks: dict[int, datetime] = {}   # clock id -> seen
        self._after = {"audit": 0, "events": 0}

    def run(self) -> None:
        with self.ctx.db.connect() as conn:
            self._after["audit"] = conn.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))
            self._after["events"] = conn.scalar(select(func.coalesce(func.max(ClockEvent.id), 0)))
            while not self.stop.is_set():
                fired = conn.execute(select(AuditEvent.id, AuditEvent.case_id).where(
                    AuditEvent.id > self._after["audit"], AuditEvent.action == "timer.fired")).all()
                breached = conn.execute(select(ClockEvent.id, ClockEvent.clock_id).where(
                    ClockEvent.id > self._after["events"], ClockEvent.kind == "breached")).all()
                conn.rollback()
                seen = datetime.now(timezone.utc)
                for row_id, case_id in fired:
                    self.timers.setdefault(case_id, seen)
                    self._after["audit"] = max(self._after["audit"], row_id)
                for row_id, clock_id in breached:
                    self.clocks.setdefault(clock_id, seen)
                    self._after["events"] = max(self._after["events"], row_id)
                time.sleep(POLL_SECONDS)


def _spread(late: list[float]) -> dict:
    if not late:
        return {"n": 0}
    return {"n": len(late), "p50_ms": round(percentile(late, 50), 1), "p95_ms": round(percentile(late, 95), 1),
            "max_ms": round(max(late), 1)}


def _scheduler_ready(ctx, timeout: float = 300) -> None:
    """Wait until the scheduler process leads and has caught up (its catch-up jobs recorded)."""
    wanted = {"fire_timers", "clock_sweep", "order_sweep", "mediation_absences"}
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with ctx.uow() as uow:
            if wanted <= set(uow.session.scalars(select(JobRun.job_id))):
                return
        time.sleep(0.2)
    raise RuntimeError("the scheduler did not catch up in time")


@contextmanager
def _scheduler_process(ctx):
    """The scheduler as `ipcase serve` starts it (its own process, the real intervals), once it
    leads and has caught up; the report gets the errors it logged when it has stopped."""
    with ctx.uow() as uow:  # the day's digest is not what is measured: the catch-up must not send it
        uow.session.merge(JobRun(job_id="daily_digest", last_run_at=ctx.clock.now(), last_result={}))
        uow.commit()
    env = {**os.environ, "DATABASE_URL": ctx.settings.database_url,
           "IPCASE_DB_SCHEMA": ctx.settings.database_schema or ""}
    report = {}
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen([sys.executable, "-m", "engine.jobs.runner"], env=env, stdout=subprocess.DEVNULL,
                                stderr=log)
        try:
            _scheduler_ready(ctx)
            yield report
        finally:
            report["peak_rss_mb"] = vm_hwm_mb(proc.pid)
            proc.terminate()
            proc.wait(timeout=60)
            log.seek(0)
            report["errors"] = sum(1 for line in log if "Traceback" in line or "ERROR" in line)


@contextmanager
def _task_load(ctx, seconds: float):
    """LOAD_PROCESSES processes completing tasks for `seconds`; the report gets their rate at the end."""
    spawn = multiprocessing.get_context("spawn")
    done, start = spawn.Value("i", 0), time.time()
    workers = [spawn.Process(target=_complete_tasks, args=(ctx.settings.database_url, ctx.settings.database_schema,
                                                           start + seconds, done)) for _ in range(LOAD_PROCESSES)]
    for w in workers:
        w.start()
    report = {}
    try:
        yield report
    finally:
        for w in workers:
            w.join()
        report["completions_per_s"] = round(done.value / (time.time() - start), 1)


def _start_timers(ctx, numbers: list[str], window: float) -> dict[int, datetime]:
    """A timer on each case, started evenly over `window` seconds; case id -> due moment."""
    with ctx.uow() as uow:
        ids = dict(uow.session.execute(select(Case.number, Case.id).where(Case.number.in_(numbers))).all())
    start, due = time.time(), {}
    for i, number in enumerate(numbers):
        time.sleep(max(0.0, start + i * window / len(numbers) - time.time()))
        due[ids[number]] = _start_timer(ctx, ids[number])
    return due


def _wait_until_seen(watcher: _Visibility, timers: int, clocks: int, seconds: float) -> None:
    end = time.time() + seconds
    while time.time() < end and (len(watcher.timers) < timers or len(watcher.clocks) < clocks):
        time.sleep(0.2)
    watcher.stop.set()
    watcher.join()


def lateness(ctx, case_id: int, unit_id: int, window: float, timers: int, clocks_due: int) -> dict:
    """How late timers fire and clocks breach, with the scheduler process under load (see the module)."""
    _deploy_short_timer(ctx)
    numbers = [cases.open_case(ctx, username="daiyue.officer1", pipeline="enforcement", unit_code="daiyue",
                               fields={"title": f"timer {i}", "ip_type": "trademark"})["number"]
               for i in range(timers)]
    with _scheduler_process(ctx) as scheduler:
        clocks_at = datetime.now(timezone.utc) + timedelta(seconds=TIMER_WAIT + window / 2)
        insert_clocks(ctx, clock_rows(clocks_due, clocks_due, case_id, unit_id, ctx.clock.now(), due_at_once=clocks_at))
        with ctx.uow() as uow:
            clock_ids = set(uow.session.scalars(select(CaseClock.id).where(CaseClock.due_at == clocks_at)))
        with _task_load(ctx, TIMER_WAIT + window + 5) as load:
            watcher = _Visibility(ctx)
            watcher.start()
            due = _start_timers(ctx, numbers, window)
            # with the old 30 s / 60 s polling this took up to a minute past the last due moment
            _wait_until_seen(watcher, len(due), len(clock_ids), TIMER_WAIT + 70)
    timer_late = [(watcher.timers[c] - at).total_seconds() * 1000 for c, at in due.items() if c in watcher.timers]
    clock_late = [(watcher.clocks[c] - clocks_at).total_seconds() * 1000 for c in clock_ids if c in watcher.clocks]
    return {
        "window_seconds": window, "poll_ms": POLL_SECONDS * 1000, "watch_every_s": WATCH_EVERY.total_seconds(),
        "load_processes": LOAD_PROCESSES, "load_completions_per_s": load["completions_per_s"],
        "timers": {**_spread(timer_late), "started": len(due), "unseen": len(due) - len(timer_late)},
        "clocks": {**_spread(clock_late), "due": len(clock_ids), "unseen": len(clock_ids) - len(clock_late)},
        "scheduler_errors": scheduler["errors"],
        "scheduler_peak_rss_mb": scheduler["peak_rss_mb"],
    }


def run(quick: bool = False) -> dict:
    total = 50_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory() as tmp, scratch_context(Path(tmp)) as ctx:
        number = cases.open_case(ctx, username="daiyue.officer1", pipeline="enforcement", unit_code="daiyue",
                                 fields={"title": "bench", "ip_type": "trademark"})["number"]
        now = ctx.clock.now()
        with ctx.uow() as uow:
            case = uow.session.scalar(select(Case).where(Case.number == number))
            case_id, unit_id = case.id, case.unit_id
        start = time.perf_counter()
        insert_clocks(ctx, clock_rows(total, DUE, case_id, unit_id, now))
        insert_s = time.perf_counter() - start
        settle(ctx)
        plan = _plan(ctx, now)

        counts, sweep_s, statements = timed_sweep(ctx)  # the process's first sweep: statement caches cold
        empty, empty_s, empty_statements = timed_sweep(ctx)
        with ctx.uow() as uow:
            s = uow.session
            running = s.scalar(select(func.count()).select_from(CaseClock).where(CaseClock.stopped_at.is_(None)))
            breached_events = s.scalar(select(func.count()).select_from(ClockEvent)
                                       .where(ClockEvent.kind == "breached"))
        # The scheduler sweeps every minute, so its sweeps run warm: another 1,000 fall due.
        insert_clocks(ctx, clock_rows(DUE, DUE, case_id, unit_id, ctx.clock.now()))
        settle(ctx)
        warm_counts, warm_s, warm_statements = timed_sweep(ctx)
        start = time.perf_counter()
        with ctx.db.connect() as conn:
            conn.execute(text("SELECT count(*) FROM clocks WHERE stopped_at IS NULL AND state = 'running'")).scalar()
        full_scan_s = time.perf_counter() - start
        late = lateness(ctx, case_id, unit_id, window=20 if quick else 60, timers=20 if quick else 60,
                        clocks_due=DUE)
    result = {
        "quick": quick, "running_clocks": running, "due": DUE, "insert_seconds": round(insert_s, 1),
        "sweep_seconds": round(sweep_s, 3), "per_due_ms": round(sweep_s * 1000 / DUE, 3),
        "warm_sweep_seconds": round(warm_s, 3), "warm_sweep": {**warm_counts, "statements": warm_statements},
        "breached": counts["breached"], "escalated": counts["escalated"], "breach_events": breached_events,
        "statements": statements, "empty_sweep_ms": round(empty_s * 1000, 2), "empty_result": empty,
        "empty_statements": empty_statements,
        "full_scan_count_ms": round(full_scan_s * 1000, 1), "plan": plan,
        "uses_index": "ix_clocks_next_check_at" in plan, "lateness": late,
    }
    print_table("deadline sweep: clocks due among many running (indexed next_check_at)",
                ["running clocks", "due", "first sweep s", "later sweep s", "statements", "empty sweep ms",
                 "count(*) scan ms", "index"],
                [[running, DUE, result["sweep_seconds"], result["warm_sweep_seconds"], statements,
                  result["empty_sweep_ms"], result["full_scan_count_ms"], result["uses_index"]]])
    print(f"plan: {plan}")
    print_table(f"lateness under load ({late['load_processes']} processes completing tasks, "
                f"{late['load_completions_per_s']} completions/s; watch every {late['watch_every_s']} s, "
                f"poll {late['poll_ms']} ms)",
                ["what", "n", "p50 ms", "p95 ms", "max ms", "unseen"],
                [[label, late[key].get("n"), late[key].get("p50_ms"), late[key].get("p95_ms"), late[key].get("max_ms"),
                  late[key]["unseen"]]
                 for key, label in (("timers", "BPMN timers"), ("clocks", f"clock breaches, {DUE} due at once"))])
    print(f"scheduler process peak RSS: {late['scheduler_peak_rss_mb']} MB")
    save("deadline_sweep", result)
    return result
