"""Inbox queries at scale: open and closed task rows generated server-side
(INSERT … SELECT generate_series on PostgreSQL), then p50/p95 of the queries the inbox
uses (my tasks, group tasks, each filter, the due-date sort, keyset pages), with EXPLAIN
confirming index use. Target p95 ≤ 50 ms.

Full: 1M open + 10M closed tasks; --quick: 100k open + 1M closed. PostgreSQL only.
"""
from __future__ import annotations

import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, text

from bench.common import percentile, print_table, save, scratch_context
from engine.models import HumanTask, User
try:
    from engine.services import inbox
except ImportError:  # the inbox service arrives with the web work
    inbox = None

REPEAT = 40


def generate(ctx, n_open: int, n_closed: int) -> None:
    """Cases, instances and tasks spread over the units, roles, steps and due dates."""
    n_cases = max(1000, (n_open + n_closed) // 20)
    now = ctx.clock.now()
    steps = "ARRAY['register_lead','verify_lead','decide_filing','investigate','write_report','legal_review']"
    roles = "ARRAY['officer','officer','unit_head','officer','officer','legal_reviewer']"
    with ctx.db.begin() as conn:
        for index in HumanTask.__table__.indexes:
            conn.execute(text(f'DROP INDEX IF EXISTS "{index.name}"'))
        conn.execute(text("""
            INSERT INTO cases (number, pipeline, unit_id, title, status, is_major, priority, ip_types, opened_at,
                               details)
            SELECT 'B-' || g, 'enforcement', 2 + g % 8, '批量案件 ' || g, 'open', false, g % 3, 1 << (g % 5), :now,
                   '{}'
            FROM generate_series(1, :n) g"""), {"n": n_cases, "now": now.replace(tzinfo=None)})
        conn.execute(text("""
            INSERT INTO ip_rights (case_id, ip_type, number, holder)
            SELECT id, (ARRAY['patent','trademark','copyright','trade_secret','geographic_indication'])
                       [1 + substr(number, 3)::int % 5],
                   'R' || id, '权利人' || id % 100 FROM cases"""))
        conn.execute(text("""
            INSERT INTO parties (case_id, role, kind, name)
            SELECT id, 'respondent', 'enterprise', '泰安市第' || id % 5000 || '号商贸有限公司' FROM cases"""))
        definition = conn.execute(text("SELECT min(id) FROM workflow_definitions")).scalar()
        conn.execute(text("""
            INSERT INTO workflow_instances (case_id, definition_id, status, state, version, started_at, updated_at)
            SELECT id, :d, 'running', '', 1, :now, :now FROM cases"""),
                     {"d": definition, "now": now.replace(tzinfo=None)})
        conn.execute(text(f"""
            INSERT INTO human_tasks (case_id, instance_id, spiff_task_id, bpmn_id, name, form_id, role, unit_id,
                                     assignee_id, state, priority, ip_types, created_at, due_at)
            SELECT c.id, c.id, md5(g::text), ({steps})[1 + g % 6], '步骤', 'lead', ({roles})[1 + g % 6],
                   c.unit_id,
                   CASE WHEN g % 3 = 0 THEN NULL ELSE (SELECT min(id) FROM users) + g % 40 END,
                   CASE WHEN g <= :open THEN 'open' ELSE 'completed' END, g % 3, c.ip_types,
                   :now - (g % 400) * interval '1 hour',
                   CASE WHEN g % 7 = 0 THEN NULL ELSE :now + ((g % 60) - 20) * interval '1 day' END
            FROM generate_series(1, :total) g JOIN cases c ON c.id = 1 + g % :cases"""),
                     {"open": n_open, "total": n_open + n_closed, "cases": n_cases, "now": now.replace(tzinfo=None)})
        for index in HumanTask.__table__.indexes:
            index.create(conn)
        # These tables only: a bare ANALYZE takes every schema's tables, and deadlocks with
        # another benchmark's in the same database.
        conn.execute(text("ANALYZE cases, ip_rights, parties, workflow_instances, human_tasks"))


def _time(ctx, build) -> tuple[list[float], str]:
    times = []
    for _ in range(REPEAT):
        with ctx.uow() as uow:
            start = time.perf_counter()
            uow.session.execute(build(uow.session)).all()
            times.append((time.perf_counter() - start) * 1000)
    with ctx.uow() as uow:
        stmt = build(uow.session)
        compiled = stmt.compile(ctx.db, compile_kwargs={"literal_binds": True})
        plan = "\n".join(r[0] for r in uow.session.execute(text(f"EXPLAIN {compiled}")))
    return times, plan


def run(quick: bool = False) -> dict:
    if not (os.environ.get("DATABASE_URL") or "").startswith("postgresql"):
        print("inbox benchmark needs PostgreSQL (DATABASE_URL)")
        return {}
    if inbox is None or not hasattr(inbox, "benchmark_queries"):
        print("inbox benchmark needs engine.services.inbox.benchmark_queries (the web inbox)")
        return {}
    n_open, n_closed = (100_000, 1_000_000) if quick else (1_000_000, 10_000_000)
    with tempfile.TemporaryDirectory() as tmp, scratch_context(Path(tmp)) as ctx:
        started = time.perf_counter()
        generate(ctx, n_open, n_closed)
        generated_s = time.perf_counter() - started
        with ctx.uow() as uow:
            officer = uow.session.scalar(select(User).where(User.username == "daiyue.officer1"))
            user_id = officer.id
        now = ctx.clock.now()
        queries = inbox.benchmark_queries(user_id, now) if hasattr(inbox, "benchmark_queries") else {}
        rows, figures = [], {}
        for name, build in queries.items():
            times, plan = _time(ctx, build)
            uses_index = "Index" in plan and "Seq Scan on human_tasks" not in plan
            figures[name] = {"p50_ms": round(percentile(times, 50), 2), "p95_ms": round(percentile(times, 95), 2),
                             "index_used": uses_index, "plan": plan}
            rows.append([name, figures[name]["p50_ms"], figures[name]["p95_ms"], uses_index])
    result = {"quick": quick, "open_tasks": n_open, "closed_tasks": n_closed,
              "generate_seconds": round(generated_s, 1), "queries": figures, "target_p95_ms": 50}
    print_table(f"inbox queries over {n_open:,} open + {n_closed:,} closed tasks (p50/p95 of {REPEAT} runs)",
                ["query", "p50 ms", "p95 ms", "index"], rows)
    save("inbox", result)
    return result
