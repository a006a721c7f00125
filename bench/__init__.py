"""Benchmarks: each module has `run(quick: bool) -> dict`, prints a table, saves bench/results/NAME.json."""
