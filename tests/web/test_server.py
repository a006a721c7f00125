"""How `ipcase serve` runs gunicorn."""
import gc

from click.testing import CliRunner

from web import cli, server


def test_serve_runs_threaded_workers_one_per_cpu_by_default(monkeypatch):
    started = {}
    monkeypatch.setattr(server, "run_gunicorn", lambda **kw: started.update(kw))
    monkeypatch.setattr(server.os, "cpu_count", lambda: 3)
    result = CliRunner().invoke(cli.cli, ["serve", "--no-scheduler"])
    assert result.exit_code == 0, result.output
    assert started == {"host": "127.0.0.1", "port": 5000, "workers": 3, "threads": 4}
    options = server.gunicorn_options("127.0.0.1", 5000, workers=3, threads=4)
    assert options["worker_class"] == "gthread" and options["threads"] == 4 and options["workers"] == 3


def test_a_worker_keeps_what_it_loaded_at_start_out_of_garbage_collections():
    options = server.gunicorn_options("127.0.0.1", 5000, workers=2)
    try:
        options["post_worker_init"](worker=None)
        assert gc.get_freeze_count() > 1000  # the modules and app objects alive now
    finally:
        gc.unfreeze()


def test_a_single_cpu_still_gets_two_workers(monkeypatch):
    monkeypatch.setattr(server.os, "cpu_count", lambda: 1)
    assert server.default_workers() == 2
