"""The `ipcase` console script: the engine's commands plus `serve`."""
from __future__ import annotations

import click

from engine.cli import cli


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--scheduler/--no-scheduler", default=True, show_default=True,
              help="also run the supervision scheduler (a child process; one acts cluster-wide)")
def serve(host, port, workers, scheduler):
    """Serve the web app under gunicorn, with the supervision scheduler beside it."""
    from engine.jobs.runner import scheduler_process
    from web.server import run_gunicorn
    with scheduler_process(scheduler):
        run_gunicorn(host=host, port=port, workers=workers)


def main() -> None:
    cli(prog_name="ipcase")
