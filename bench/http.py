"""HTTP task completions: the real web app under gunicorn, driven by `wrk` over loopback.

N enforcement cases are opened through the engine services (their first step, `lead`, is
assigned to the opener); the opener logs in once (login form + CSRF, as a browser does) and
`wrk` posts each task's HTML form exactly once with that session cookie and CSRF token
(bench/http_complete.lua); once the database holds all N completions (or at the time limit)
wrk is interrupted and reports. Bounded: N requests (plus a few GET /healthz while the last
POSTs finish), a time limit, 127.0.0.1 only.

Reported: completions/s (from the completion timestamps in the database: the first to the
last), p50/p95/p99 latency, errors (must be 0), the completions found in
the database afterwards (must equal N), the CPU time the gunicorn workers and their PostgreSQL
backends spent per completion (less sensitive to a busy box than the rate), and the peak RSS
(VmHWM) of every gunicorn worker and of the scheduler process that runs beside them, as
`ipcase serve` does. Target ≥ 300 req/s.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from pathlib import Path

from sqlalchemy import func, select, text

from bench.common import print_table, save, scratch_context, vm_hwm_mb
from engine.forms.samples import sample_submission
from engine.models import HumanTask
from engine.services import cases
from web.server import THREADS, default_workers

HERE = Path(__file__).resolve().parent
USER, PASSWORD = "daiyue.officer1", "x" * 8  # seeded by scratch_context
APP_NAME = "ipcase-bench-web"  # the workers' PostgreSQL application_name (libpq's PGAPPNAME)
COMPOSITE = {"party": ("name", "kind", "uscc"), "ip_right": ("ip_type", "number", "holder")}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _backend_pids(ctx) -> list[int]:
    """The PostgreSQL backends serving the gunicorn workers."""
    with ctx.db.connect() as conn:
        return list(conn.scalars(text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                                 {"name": APP_NAME}))


def _cpu_snapshot(ctx, gunicorn_pid: int) -> dict[str, dict[int, float]]:
    return {"web_workers": {p: cpu_seconds(p) for p in _children(gunicorn_pid)},
            "postgres": {p: cpu_seconds(p) for p in _backend_pids(ctx)}}


def _cpu_ms_per(before: dict, after: dict, n: int) -> dict[str, float]:
    """CPU milliseconds per completion between two snapshots (processes new since `before` start at 0)."""
    return {kind: round(sum(t - before[kind].get(p, 0.0) for p, t in after[kind].items()) * 1000 / n, 2)
            for kind in after}


def _completed(ctx, ids: list[int]):
    """How many of the tasks are completed, and the first and last completion time."""
    with ctx.uow() as uow:
        return uow.session.execute(
            select(func.count(), func.min(HumanTask.completed_at), func.max(HumanTask.completed_at))
            .where(HumanTask.id.in_(ids), HumanTask.state == "completed")).one()


def _wait_for_completions(ctx, ids: list[int], wrk: subprocess.Popen, seconds: float) -> None:
    """Until every task is completed, wrk has exited or the time is up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and wrk.poll() is None and _completed(ctx, ids)[0] < len(ids):
        time.sleep(0.5)


def form_body(form, csrf: str) -> bytes:
    """The sample submission as the task page's HTML form would post it (see web/tasks/forms.py)."""
    pairs = [("csrf_token", csrf), ("action", "complete")]
    for name, value in sample_submission(form).items():
        ftype = next(f.type for f in form.fields if f.name == name)
        if ftype in COMPOSITE:
            pairs += [(f"{name}.{k}", str(value.get(k, ""))) for k in COMPOSITE[ftype]]
        elif isinstance(value, list):
            pairs += [(name, str(v)) for v in value]
        elif isinstance(value, bool):
            if value:
                pairs.append((name, "on"))
        else:
            pairs.append((name, str(value)))
    return urllib.parse.urlencode(pairs).encode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _login(base: str, task_id: int) -> tuple[str, str]:
    """Log in through the form; returns the session cookie header and a CSRF token for it."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    token = re.search(r'name="csrf_token" value="([^"]+)"', opener.open(f"{base}/login").read().decode()).group(1)
    opener.open(f"{base}/login", urllib.parse.urlencode(
        {"username": USER, "password": PASSWORD, "csrf_token": token}).encode())
    page = opener.open(f"{base}/tasks/{task_id}").read().decode()  # a fresh token for the logged-in session
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return "; ".join(f"{c.name}={c.value}" for c in jar), token


def _post(base: str, task_id: int, cookie: str, body: bytes) -> int:
    opener = urllib.request.build_opener(_NoRedirect)
    req = urllib.request.Request(f"{base}/tasks/{task_id}", data=body, headers={
        "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    try:
        return opener.open(req).status
    except urllib.error.HTTPError as err:
        return err.code


def _wait_up(base: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer /healthz")


def _stop(proc: subprocess.Popen | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run(quick: bool = False) -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("bench http needs wrk: apt-get install -y wrk (make bench does it)")
    n_tasks = 300 if quick else 2000
    workers, threads, connections, warmup = default_workers(), 2, 8, 8  # gunicorn workers as `ipcase serve`
    with tempfile.TemporaryDirectory() as tmp, scratch_context(Path(tmp)) as ctx:
        if not ctx.settings.database_schema:
            raise SystemExit("bench http needs PostgreSQL (DATABASE_URL=postgresql+psycopg://...)")
        start = time.perf_counter()
        ids = []
        for i in range(n_tasks + warmup):
            view = cases.open_case(ctx, username=USER, pipeline="enforcement", unit_code="daiyue",
                                   fields={"title": f"http bench {i}", "ip_type": "trademark"})
            ids += [t["id"] for t in view["open_tasks"]]
        assert len(ids) == n_tasks + warmup, "each new case should have exactly one open task"
        prepare_s = time.perf_counter() - start
        form = ctx.forms.get("lead")
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**os.environ, "DATABASE_URL": ctx.settings.database_url,
               "IPCASE_DB_SCHEMA": ctx.settings.database_schema, "IPCASE_SECRET_KEY": os.urandom(16).hex()}
        web_env = {**env, "PGAPPNAME": APP_NAME}
        tmpd = Path(tmp)
        gunicorn = scheduler = None
        try:
            gunicorn = subprocess.Popen(
                [str(Path(sys.executable).with_name("gunicorn")), "--config", "python:web.server", "--workers", str(workers),
                 "--worker-class", "gthread", "--threads", str(THREADS), "--bind", f"127.0.0.1:{port}",
                 "--timeout", "60", "--log-level", "warning", "web:create_app()"],
                env=web_env, stdout=subprocess.DEVNULL, stderr=(tmpd / "gunicorn.log").open("w"))
            scheduler = subprocess.Popen([sys.executable, "-m", "engine.jobs.runner"], env=env,
                                         stdout=subprocess.DEVNULL, stderr=(tmpd / "scheduler.log").open("w"))
            _wait_up(base, gunicorn)
            cookie, csrf = _login(base, ids[0])
            body = form_body(form, csrf)
            warm, ids = ids[:warmup], ids[warmup:]
            with ThreadPoolExecutor(4) as pool:  # every worker loads the app and diagrams first
                statuses = list(pool.map(lambda t: _post(base, t, cookie, body), warm))
            if any(s != 302 for s in statuses):
                raise RuntimeError(f"warm-up completions answered {statuses}; see {tmpd / 'gunicorn.log'}")
            (tmpd / "tasks.txt").write_text("\n".join(map(str, ids)) + "\n")
            (tmpd / "body.txt").write_bytes(body)
            (tmpd / "cookie.txt").write_text(cookie)
            time_limit = max(60, n_tasks // 5)  # a cap: wrk is interrupted once the tasks are done
            cpu_before = _cpu_snapshot(ctx, gunicorn.pid)
            wrk = subprocess.Popen(
                ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{time_limit}s", "--timeout", "10s",
                 "-s", str(HERE / "http_complete.lua"), base, "--",
                 str(tmpd / "tasks.txt"), str(tmpd / "body.txt"), str(tmpd / "cookie.txt"), str(threads)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            _wait_for_completions(ctx, ids, wrk, time_limit)
            cpu_after = _cpu_snapshot(ctx, gunicorn.pid)
            time.sleep(1)  # the last redirects reach wrk
            # wrk would run out its -d; interrupted, it stops and reports
            wrk.send_signal(signal.SIGINT)
            out, err = wrk.communicate(timeout=60)
            if err.strip():
                print(err.strip()[:2000], file=sys.stderr)
            worker_pids = _children(gunicorn.pid)
            worker_rss = [vm_hwm_mb(p) for p in worker_pids]
            master_rss, scheduler_rss = vm_hwm_mb(gunicorn.pid), vm_hwm_mb(scheduler.pid)
        finally:
            _stop(gunicorn)
            _stop(scheduler)
        wrk_result = json.loads(out.split("RESULT ", 1)[1].splitlines()[0])
        completed, first, last = _completed(ctx, ids)
    # the completion timestamps give the busy span (wrk's duration includes the warm-up of its threads)
    seconds = (last - first).total_seconds() if completed > 1 else float("nan")
    errors = (wrk_result["bad_status"] + wrk_result["connect_errors"] + wrk_result["read_errors"]
              + wrk_result["write_errors"] + wrk_result["timeouts"])
    rate = (completed - 1) / seconds
    result = {
        "quick": quick, "tasks": n_tasks, "gunicorn_workers": workers, "gunicorn_threads": THREADS,
        "wrk_threads": threads,
        "connections": connections, "prepare_seconds": round(prepare_s, 1), "busy_seconds": round(seconds, 2),
        "completions_per_s": round(rate, 1), "ok_302": wrk_result["ok"], "errors": errors,
        "healthz_requests": wrk_result["healthz"],
        "p50_ms": round(wrk_result["p50_us"] / 1000, 1), "p95_ms": round(wrk_result["p95_us"] / 1000, 1),
        "p99_ms": round(wrk_result["p99_us"] / 1000, 1), "max_ms": round(wrk_result["max_us"] / 1000, 1),
        "cpu_ms_per_completion": _cpu_ms_per(cpu_before, cpu_after, n_tasks),
        "completed_in_db": completed, "db_matches": completed == n_tasks == wrk_result["ok"],
        "target_per_s": 300, "ratio_to_target": round(rate / 300, 2),
        "server_peak_rss_mb": {"gunicorn_workers": worker_rss, "gunicorn_master": master_rss,
                        "scheduler": scheduler_rss},
        "wrk": wrk_result,
    }
    print_table(f"HTTP task completions ({workers} gunicorn workers × {THREADS} threads, wrk {threads} threads × "
                f"{connections} connections, loopback)", ["figure", "value"], [
        ["completions/s", result["completions_per_s"]], ["ratio to target 300/s", result["ratio_to_target"]],
        ["p50 / p95 / p99 ms", f"{result['p50_ms']} / {result['p95_ms']} / {result['p99_ms']}"],
        ["CPU ms per completion: workers / PostgreSQL",
         " / ".join(str(v) for v in result["cpu_ms_per_completion"].values())],
        ["errors", errors], ["completed in DB / posted", f"{completed} / {n_tasks}"],
        ["peak RSS workers MB", worker_rss], ["peak RSS scheduler MB", scheduler_rss],
    ])
    save("http", result)
    if errors or not result["db_matches"]:
        raise SystemExit(f"bench http: {errors} errors, {completed} of {n_tasks} tasks completed in the database")
    return result
