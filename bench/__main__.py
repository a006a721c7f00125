"""Run every benchmark (or those named): `python -m bench [--quick] [NAME ...]`.

With several names each benchmark runs in its own process, so the peak RSS that each
result records (`peak_rss_mb`, from getrusage) is that benchmark's own.
"""
from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import time

from bench.common import RESULTS, print_table

BENCHMARKS = ["throughput", "long_history", "inbox", "deadline_sweep", "http"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, under 5 minutes in all")
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"any of {', '.join(BENCHMARKS)}")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    names = args.names or BENCHMARKS
    if len(names) == 1:
        importlib.import_module(f"bench.{names[0]}").run(quick=args.quick)
        return 0
    rows, failed = [], []
    for name in names:
        start = time.monotonic()
        code = subprocess.call([sys.executable, "-m", "bench", *(["--quick"] if args.quick else []), name])
        if code:
            failed.append(name)
        try:
            rss = json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8")).get("peak_rss_mb")
        except (OSError, ValueError):
            rss = None
        rows.append([name, "ok" if not code else f"FAILED ({code})", round(time.monotonic() - start), rss])
    print_table("benchmarks run" + (" (quick)" if args.quick else ""),
                ["benchmark", "result", "seconds", "bench process peak RSS MB"], rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
