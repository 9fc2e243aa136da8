"""Benchmark: `ampctl --help` against a bare `python -c pass` (the interpreter's own start-up).

.venv/bin/python bench/startup.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import common


def timed(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, capture_output=True, check=True, cwd=common.ROOT)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    bare = common.median([timed([sys.executable, "-c", "pass"]) for _ in range(args.repeat)])
    helps = common.median([timed([sys.executable, "-m", "ampctl", "--help"]) for _ in range(args.repeat)])
    print(f"start-up (median of {args.repeat})")
    common.line("python -c pass", f"{bare * 1000:6.0f} ms")
    common.line("ampctl --help", f"{helps * 1000:6.0f} ms   {helps / bare:4.1f}x a bare interpreter")


if __name__ == "__main__":
    main()
