"""Run the app under gunicorn from Python (no separate config file)."""
from __future__ import annotations

import os

from gunicorn.app.base import BaseApplication

from engine.startup import freeze_startup_objects

# Threads per worker: while one request waits on PostgreSQL another runs. Processes give the
# parallelism (one per core); the threads cover the waits.
THREADS = 4


def default_workers() -> int:
    """One worker process per CPU, at least two (a restarting worker never leaves none)."""
    return max(2, os.cpu_count() or 1)


def gunicorn_options(host: str, port: int, workers: int, threads: int = THREADS) -> dict:
    """Threaded workers: idle keep-alive connections and slow clients do not hold a whole process."""
    return {"bind": f"{host}:{port}", "workers": workers, "worker_class": "gthread", "threads": threads,
            "accesslog": "-", "timeout": 60, "post_worker_init": post_worker_init}


def post_worker_init(worker) -> None:
    """Gunicorn's hook once a worker has loaded the app: keep the app's objects out of later
    garbage collections. (Also read by `gunicorn -c python:web.server`, as bench/http.py runs it.)"""
    freeze_startup_objects()


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from web import create_app
        return create_app()


def run_gunicorn(host: str, port: int, workers: int, threads: int = THREADS) -> None:
    _Gunicorn(gunicorn_options(host, port, workers, threads)).run()
