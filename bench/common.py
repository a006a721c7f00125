"""Helpers shared by the benchmarks: a scratch database, counting statements, saving results."""
from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import event, text

from engine import migrate
from engine.clocks.clock import SystemClock
from engine.context import Context, build_context
from engine.services import org
from engine.services.deploy import deploy_all
from engine.settings import Settings
from engine.startup import freeze_startup_objects
from engine.store.db import make_engine

RESULTS = Path(__file__).parent / "results"


@contextmanager
def scratch_context(tmp_dir: Path):
    """A migrated, seeded database for one benchmark: a fresh PostgreSQL schema when
    DATABASE_URL names PostgreSQL, else a SQLite file; dropped afterwards."""
    url = os.environ.get("DATABASE_URL")
    schema = None
    if url and url.startswith("postgresql"):
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    else:
        url = f"sqlite:///{tmp_dir / f'bench-{uuid.uuid4().hex[:8]}.db'}"
    ctx = build_context(Settings(database_url=url, database_schema=schema), clock=SystemClock())
    migrate.upgrade(ctx.db)
    with ctx.uow() as uow:
        units = org.seed_units(uow.session)
        org.seed_users(uow.session, units, PasswordHasher(time_cost=1, memory_cost=1024).hash("x" * 8),
                       ctx.clock.now())
        uow.commit()
    deploy_all(ctx)
    # As the web workers and the scheduler do once started (engine/startup.py): without it, a
    # full collection walks the whole startup heap (~100 ms in a benchmark process) and lands
    # on whichever side of a comparison happens to set it off.
    freeze_startup_objects()
    try:
        yield ctx
    finally:
        ctx.db.dispose()
        if schema:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


class StatementCounter:
    """Counts the INSERT/UPDATE/DELETE statements and their rows on an engine while active.

    A `WITH` statement is writes sent together (engine/store/together.py, the only CTEs the
    engine sends): one statement, returning one row per row written. SQLite reports no rowcount
    for an `INSERT … RETURNING` until its rows are fetched, and counts a statement's changes once
    it completes: its rows come from the connections' change counters when the block ends."""

    def __init__(self, ctx: Context):
        self.engine = ctx.db
        self.writes = 0
        self.rows = 0
        self._sqlite = ctx.db.dialect.name == "sqlite"
        self._changes_at_start: dict[object, int] = {}  # SQLite: connection -> its total_changes

    def _before(self, conn, cursor, statement, params, context, executemany):
        raw = conn.connection.dbapi_connection
        if raw not in self._changes_at_start:
            self._changes_at_start[raw] = raw.total_changes

    def _after(self, conn, cursor, statement, params, context, executemany):
        verb = statement.lstrip().split(None, 1)[0].upper()
        if verb in ("INSERT", "UPDATE", "DELETE", "WITH"):
            self.writes += 1
            if not self._sqlite:
                self.rows += max(cursor.rowcount, 0)

    def __enter__(self):
        if self._sqlite:
            event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "after_cursor_execute", self._after)
        if self._sqlite:
            event.remove(self.engine, "before_cursor_execute", self._before)
            self.rows = sum(raw.total_changes - start for raw, start in self._changes_at_start.items())


class CpuMeter:
    """CPU seconds spent while active by this process and by the PostgreSQL backends serving
    the context's connections (read from /proc: the server runs on this machine). Unlike wall
    time, CPU per unit of work barely moves with the box's load."""

    def __init__(self, ctx: Context):
        self.engine = ctx.db
        self.backends: set[int] = set()
        self.client_s = 0.0
        self.server_s = 0.0

    def _connected(self, dbapi_conn, _record):
        if self.engine.dialect.name == "postgresql":
            self.backends.add(dbapi_conn.info.backend_pid)

    def _server_ticks(self) -> int:
        total = 0
        for pid in self.backends:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # a backend that ended (its time is lost; pools rarely close)
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total

    def __enter__(self):
        event.listen(self.engine, "connect", self._connected)
        with self.engine.connect() as conn:  # the pooled connections already open
            if self.engine.dialect.name == "postgresql":
                self.backends.add(conn.connection.dbapi_connection.info.backend_pid)
        self._client0, self._ticks0 = time.process_time(), self._server_ticks()
        return self

    def __exit__(self, *exc):
        self.client_s = time.process_time() - self._client0
        self.server_s = (self._server_ticks() - self._ticks0) / os.sysconf("SC_CLK_TCK")
        event.remove(self.engine, "connect", self._connected)


def vm_hwm_mb(pid: int) -> float | None:
    """Peak resident set size of a process (VmHWM), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def median(values: list[float]) -> float:
    return statistics.median(values)


def save(name: str, figures: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    doc = {"benchmark": name, "at": datetime.now(timezone.utc).isoformat(), "machine": {
        "python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "database": (os.environ.get("DATABASE_URL") or "sqlite").split("@")[-1],
        # the benchmark process's own peak resident set so far (ru_maxrss is in KiB on Linux)
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1), **figures}
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def print_table(title: str, header: list[str], rows: list[list]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    print(f"\n{title}")
    print("  ".join(str(h).ljust(w) for h, w in zip(header, widths)))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))
