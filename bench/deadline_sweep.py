"""Deadline sweep: how long the scheduler's clock sweep takes with many running clocks
(1M full, 50k quick) of which 1,000 are due, and with none due.

Clock rows are generated in bulk (COPY on PostgreSQL, executemany on SQLite), all on one
case, since the sweep never reads the case except for what is due. The sweep finds due
clocks by the index on `clocks.next_check_at`, so its cost follows the due rows, not the
running ones: the figure to watch is `empty_sweep_ms` staying flat as clocks grow.
"""
from __future__ import annotations

import io
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select, text

from bench.common import print_table, save, scratch_context
from engine.models import Case, CaseClock, ClockEvent, Unit
from engine.services import cases, sweeps

DUE = 1000
COLUMNS = ("case_id", "unit_id", "rule", "pipeline", "state", "length", "unit", "extension", "start_date",
           "started_at", "due_date", "due_at", "warn_at", "next_check_at", "explanation", "calendar_gap",
           "updated_at")


def _rows(n: int, due: int, case_id: int, unit_id: int, now: datetime):
    """n running clocks; the first `due` are past their due moment, the rest due in 1–60 days."""
    for i in range(n):
        if i < due:
            due_at = now - timedelta(hours=1 + i % 48)
        else:
            due_at = now + timedelta(days=1 + i % 60, minutes=i % 1440)
        warn_at = due_at - timedelta(days=3)
        check = warn_at if warn_at > now else due_at
        if i < due:
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


def _plan(ctx, now: datetime) -> str:
    if ctx.db.dialect.name != "postgresql":
        with ctx.db.connect() as conn:
            rows = conn.execute(text("EXPLAIN QUERY PLAN SELECT id FROM clocks WHERE next_check_at <= :now "
                                     "ORDER BY next_check_at, id LIMIT 200"), {"now": _naive(now)}).all()
        return " | ".join(str(r[-1]) for r in rows)
    with ctx.db.connect() as conn:
        rows = conn.execute(text("EXPLAIN SELECT id FROM clocks WHERE next_check_at <= :now "
                                 "ORDER BY next_check_at, id LIMIT 200 FOR UPDATE SKIP LOCKED"),
                            {"now": _naive(now)}).all()
    return " | ".join(r[0].strip() for r in rows)


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
        rows = _rows(total, DUE, case_id, unit_id, now)
        (_insert_postgres if ctx.db.dialect.name == "postgresql" else _insert_sqlite)(ctx, rows)
        insert_s = time.perf_counter() - start
        with ctx.db.begin() as conn:
            conn.execute(text("ANALYZE clocks" if ctx.db.dialect.name == "postgresql" else "ANALYZE"))
        plan = _plan(ctx, now)

        start = time.perf_counter()
        counts = sweeps.sweep_clocks(ctx)
        sweep_s = time.perf_counter() - start
        start = time.perf_counter()
        empty = sweeps.sweep_clocks(ctx)
        empty_s = time.perf_counter() - start
        with ctx.uow() as uow:
            s = uow.session
            running = s.scalar(select(func.count()).select_from(CaseClock).where(CaseClock.stopped_at.is_(None)))
            breached_events = s.scalar(select(func.count()).select_from(ClockEvent)
                                       .where(ClockEvent.kind == "breached"))
        start = time.perf_counter()
        with ctx.db.connect() as conn:
            conn.execute(text("SELECT count(*) FROM clocks WHERE stopped_at IS NULL AND state = 'running'")).scalar()
        full_scan_s = time.perf_counter() - start
    result = {
        "quick": quick, "running_clocks": running, "due": DUE, "insert_seconds": round(insert_s, 1),
        "sweep_seconds": round(sweep_s, 3), "per_due_ms": round(sweep_s * 1000 / DUE, 3),
        "breached": counts["breached"], "breach_events": breached_events,
        "empty_sweep_ms": round(empty_s * 1000, 2), "empty_result": empty,
        "full_scan_count_ms": round(full_scan_s * 1000, 1), "plan": plan,
        "uses_index": "ix_clocks_next_check_at" in plan,
    }
    print_table("deadline sweep: clocks due among many running (indexed next_check_at)",
                ["running clocks", "due", "sweep s", "per due ms", "empty sweep ms", "count(*) scan ms", "index"],
                [[running, DUE, result["sweep_seconds"], result["per_due_ms"], result["empty_sweep_ms"],
                  result["full_scan_count_ms"], result["uses_index"]]])
    print(f"plan: {plan}")
    save("deadline_sweep", result)
    return result
