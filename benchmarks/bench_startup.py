"""Start-up time of the command line: `roadmap --version` and `roadmap --help` against `python -c pass`.

Each command runs REPEAT times in a fresh process; the median wall time is printed (the goal is 0.15 s),
followed by the slowest imports of `roadmap --help` from `python -X importtime`.

    .venv/bin/python benchmarks/bench_startup.py
    .venv/bin/python benchmarks/bench_startup.py --repeat 21 --top 5
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
GOAL_S = 0.15


def wall(command: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def slowest_imports(command: list[str], top: int) -> list[tuple[int, str]]:
    """(cumulative µs, module) of the top-level imports, slowest first."""
    err = subprocess.run(
        [sys.executable, "-X", "importtime", *command], capture_output=True, text=True, check=True
    ).stderr
    rows = []
    for line in err.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|")
        if cumulative.strip().isdigit() and not name.startswith("  "):  # top level only
            rows.append((int(cumulative), name.strip()))
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--top", type=int, default=8)
    args = parser.parse_args()
    roadmap = str(BIN / "roadmap")
    floor = wall([sys.executable, "-c", "pass"], args.repeat)
    print(f"{'python -c pass':<28} {floor:6.3f} s (median of {args.repeat})")
    for flags in (["--version"], ["--help"]):
        seconds = wall([roadmap, *flags], args.repeat)
        verdict = "within" if seconds <= GOAL_S else "OVER"
        print(f"{'roadmap ' + ' '.join(flags):<28} {seconds:6.3f} s ({verdict} the {GOAL_S} s goal)")
    print("slowest imports of `roadmap --help` (cumulative):")
    for micros, name in slowest_imports(["-m", "pipeline", "--help"], args.top):
        print(f"  {micros / 1000:7.1f} ms  {name}")


if __name__ == "__main__":
    main()
