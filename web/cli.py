"""The `ipcase` console script: the engine's commands plus `serve`."""
from __future__ import annotations

import click

from engine.cli import cli


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", type=int, help="worker processes  [default: one per CPU, at least 2]")
@click.option("--threads", type=int, help="threads per worker  [default: 4]")
@click.option("--scheduler/--no-scheduler", default=True, show_default=True,
              help="also run the supervision scheduler (a child process; one acts cluster-wide)")
def serve(host, port, workers, threads, scheduler):
    """Serve the web app under gunicorn, with the supervision scheduler beside it."""
    from engine.jobs.runner import scheduler_process
    from web.server import THREADS, default_workers, run_gunicorn
    with scheduler_process(scheduler):
        run_gunicorn(host=host, port=port, workers=workers or default_workers(), threads=threads or THREADS)


def main() -> None:
    cli(prog_name="ipcase")
