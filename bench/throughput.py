"""Task throughput, three ways in one run on the same machine:

1. ipcase: enforcement tasks completed through the engine services (validation,
   SpiffWorkflow step, task rows, audit: one transaction each) on the configured database;
2. the same diagram driven by plain in-memory SpiffWorkflow, serialising and
   deserialising the whole workflow (spec included, as SpiffWorkflow does by default)
   around every step;
3. `pgbench -N` (simple-update TPC-B-like transactions) on the same PostgreSQL server,
   as the ceiling for one small write transaction.

Also (1) again with each task's page read before its completion, as a user opens it: a read
must not cost the step that follows on its connection anything (engine/store/read_only.py).

Reported as completions (or transactions) per second and ratios. Target: ipcase ≥ 0.6 ×
in-memory SpiffWorkflow.
"""
from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer import DEFAULT_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.engine import make_url

from bench.common import CpuMeter, print_table, save, scratch_context
from engine.forms.samples import sample_submission
from engine.forms.validation import validate_submission
from engine.runtime.script_engine import OperatorScriptEngine
from engine.runtime.specs import parse
from engine.models import HumanTask
from engine.services import cases, tasks
from engine.services.demo import holder_for

WORKFLOWS = Path(__file__).resolve().parent.parent / "workflows"


def complete_cases(ctx, n_cases: int, page_view: bool = False) -> tuple[int, float, CpuMeter]:
    """Open `n_cases` enforcement cases and complete their tasks to the end: (completions,
    seconds inside `tasks.complete`, CPU spent). With `page_view`, each task's page is read
    first (`tasks.show_task`, what the web's task page reads), as a user would open it."""
    numbers = [cases.open_case(ctx, username="daiyue.officer1", pipeline="enforcement", unit_code="daiyue",
                               fields={"title": f"bench {i}", "ip_type": "trademark"})["number"]
               for i in range(n_cases)]
    queue = [t for n in numbers for t in cases.show_case(ctx, n)["open_tasks"]]
    samples = {f: sample_submission(ctx.forms.get(f)) for f in ctx.forms.ids()}
    users: dict[tuple, str] = {}
    done, elapsed = 0, 0.0
    with CpuMeter(ctx) as cpu:
        while queue:
            task = queue.pop()
            key = (task["role"], task.get("unit") or "daiyue")
            if key not in users:  # a handful of lookups per run: who may complete such a task
                with ctx.uow() as uow:
                    users[key] = holder_for(uow.session, uow.session.get(HumanTask, task["id"]))
            if page_view:
                tasks.show_task(ctx, task["id"], users[key])
            start = time.perf_counter()
            result = tasks.complete(ctx, username=users[key], task_id=task["id"], data=samples[task["form"]])
            elapsed += time.perf_counter() - start
            done += 1
            queue.extend(result["next_tasks"])
    return done, elapsed, cpu


class PlainSpiff:
    """Plain SpiffWorkflow: the same diagram and data, state round-tripped through JSON per step."""

    def __init__(self, ctx):
        self.specs = parse((WORKFLOWS / "enforcement.bpmn").read_bytes(), "enforcement")
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))
        self.script_engine = OperatorScriptEngine({"issue_case_number": lambda task, kind: "X"})
        # JSON-safe form data (the default serializer knows no Decimal/date), as a plain user would store it
        self.plain = {f: validate_submission(ctx.forms.get(f), sample_submission(ctx.forms.get(f))).json
                      for f in ctx.forms.ids()}

    def run(self, n_cases: int) -> tuple[int, float, float]:
        """Drive `n_cases` workflows to their end: (completions, seconds stepping, CPU seconds)."""
        done, elapsed = 0, 0.0
        cpu0 = time.process_time()
        for i in range(n_cases):
            wf = BpmnWorkflow(self.specs.spec, self.specs.subprocess_specs, script_engine=self.script_engine)
            wf.get_next_task(state=TaskState.READY).set_data(case={"number": f"C{i}", "is_major": False})
            wf.do_engine_steps()
            state = self.serializer.serialize_json(wf)
            while True:
                start = time.perf_counter()
                wf = self.serializer.deserialize_json(state)
                wf.script_engine = self.script_engine
                ready = wf.get_tasks(state=TaskState.READY, manual=True)
                if not ready:
                    break
                task = ready[0]
                form = task.task_spec.extensions["properties"]["form"]
                task.set_data(**{form: self.plain[form]})
                task.run()
                wf.do_engine_steps()
                state = self.serializer.serialize_json(wf)
                elapsed += time.perf_counter() - start
                done += 1
        return done, elapsed, time.process_time() - cpu0


def _pgbench(seconds: int) -> float | None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql") or not shutil.which("pgbench"):
        return None
    u = make_url(url)
    conn = ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres"]
    db = "ipcase_pgbench"
    subprocess.run(["dropdb", "--if-exists", *conn, db], check=True, capture_output=True)
    subprocess.run(["createdb", *conn, db], check=True, capture_output=True)
    try:
        subprocess.run(["pgbench", "-i", "-q", "-s", "1", *conn, db], check=True, capture_output=True)
        out = subprocess.run(["pgbench", "-N", "-c", "1", "-j", "1", "-T", str(seconds), *conn, db],
                             check=True, capture_output=True, text=True).stdout
        return float(re.search(r"tps = ([\d.]+)", out).group(1))
    finally:
        subprocess.run(["dropdb", "--if-exists", *conn, db], capture_output=True)


@dataclass
class _Tally:
    """Completions, the seconds spent on them and the CPU seconds, summed over rounds."""
    done: int = 0
    seconds: float = 0.0
    cpu_s: float = 0.0
    server_cpu_s: float = 0.0

    def add(self, done: int, seconds: float, cpu_s: float, server_cpu_s: float = 0.0) -> float:
        """Add a round; returns its rate."""
        self.done, self.seconds = self.done + done, self.seconds + seconds
        self.cpu_s, self.server_cpu_s = self.cpu_s + cpu_s, self.server_cpu_s + server_cpu_s
        return done / seconds

    def cpu_ms(self, seconds: float) -> float:
        return round(seconds * 1000 / self.done, 2)


def run(quick: bool = False) -> dict:
    n_cases, rounds = (10, 2) if quick else (60, 6)
    ipcase, plain, viewed, round_ratios = _Tally(), _Tally(), _Tally(), []
    with tempfile.TemporaryDirectory() as tmp, scratch_context(Path(tmp)) as ctx:
        spiff = PlainSpiff(ctx)
        complete_cases(ctx, 1)  # warm-up, not counted: caches, prepared statements
        spiff.run(1)
        # Alternating rounds: the box's speed drifts within seconds, and both sides see the same drift.
        for _ in range(rounds):
            done, seconds, cpu = complete_cases(ctx, n_cases // rounds)
            rate = ipcase.add(done, seconds, cpu.client_s, cpu.server_s)
            round_ratios.append(rate / plain.add(*spiff.run(n_cases // rounds)))
            done, seconds, cpu = complete_cases(ctx, n_cases // rounds, page_view=True)
            viewed.add(done, seconds, cpu.client_s, cpu.server_s)
    pg_tps = _pgbench(5 if quick else 15)
    engine_done, spiff_done = ipcase.done, plain.done
    engine_rate, spiff_rate = engine_done / ipcase.seconds, spiff_done / plain.seconds
    result = {
        "quick": quick, "cases": n_cases,
        "ipcase_completions_per_s": round(engine_rate, 1), "ipcase_completions": engine_done,
        "spiff_in_memory_completions_per_s": round(spiff_rate, 1), "spiff_completions": spiff_done,
        "pgbench_N_tps_1_client": round(pg_tps, 1) if pg_tps else None,
        "ratio_ipcase_to_spiff": round(engine_rate / spiff_rate, 2),
        # the same completions, each after its task page was read (timed: the completion only)
        "ipcase_after_page_view_completions_per_s": round(viewed.done / viewed.seconds, 1),
        "ratio_after_page_view_to_ipcase": round(viewed.done / viewed.seconds / engine_rate, 2),
        "ratio_ipcase_to_pgbench": round(engine_rate / pg_tps, 2) if pg_tps else None,
        "target_ratio_to_spiff": 0.6,
        "rounds": rounds,
        "round_ratios_min_median_max": [round(min(round_ratios), 2), round(statistics.median(round_ratios), 2),
                                        round(max(round_ratios), 2)],
        # CPU per completion barely moves with the box's load, unlike the rates above
        "ipcase_cpu_ms_per_completion": {"python": ipcase.cpu_ms(ipcase.cpu_s),
                                         "postgresql": ipcase.cpu_ms(ipcase.server_cpu_s)},
        "spiff_cpu_ms_per_completion": plain.cpu_ms(plain.cpu_s),
    }
    engine_cpu_ms = ipcase.cpu_ms(ipcase.cpu_s + ipcase.server_cpu_s)
    result["cpu_ratio_spiff_to_ipcase"] = round(result["spiff_cpu_ms_per_completion"] / engine_cpu_ms, 2)
    print_table("task throughput (one client, same machine, same run)", ["what", "per second", "ratio"], [
        ["ipcase engine services (transaction + audit per completion)", result["ipcase_completions_per_s"], 1.0],
        ["ipcase, each completion after its task page was read", result["ipcase_after_page_view_completions_per_s"],
         result["ratio_after_page_view_to_ipcase"]],
        ["plain SpiffWorkflow, JSON round trip per step", result["spiff_in_memory_completions_per_s"],
         round(spiff_rate / engine_rate, 2)],
        ["pgbench -N (1 client)", result["pgbench_N_tps_1_client"],
         round(pg_tps / engine_rate, 2) if pg_tps else "-"],
    ])
    low, mid, high = result["round_ratios_min_median_max"]
    print(f"ipcase / SpiffWorkflow = {result['ratio_ipcase_to_spiff']} (target ≥ 0.6); "
          f"in each of {rounds} alternating rounds: min {low}, median {mid}, max {high}")
    py_ms, pg_ms = result["ipcase_cpu_ms_per_completion"].values()
    print(f"CPU per completion: ipcase {py_ms} ms Python + {pg_ms} ms PostgreSQL backend, SpiffWorkflow "
          f"{result['spiff_cpu_ms_per_completion']} ms: CPU ratio {result['cpu_ratio_spiff_to_ipcase']}")
    save("throughput", result)
    return result
