"""The `ipcase` console script: the engine's commands plus `serve`."""
from __future__ import annotations

import click

from engine.cli import cli


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
def serve(host, port, workers):
    """Serve the web app under gunicorn."""
    from web.server import run_gunicorn
    run_gunicorn(host=host, port=port, workers=workers)


def main() -> None:
    cli(prog_name="ipcase")
