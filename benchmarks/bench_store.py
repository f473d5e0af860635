"""Store figures: opening a store, sync into an empty database, a no-change re-sync, 100,000 resources,
and the read side (health_summaries / status_history over 10,000 resources x 30 runs). Prints seconds and
peak memory.

    .venv/bin/python benchmarks/bench_store.py [--out DIR]

Targets (2-core machine): first sync of 20,000 <= 0.3 s and a no-change re-sync cheaper still (issue 13:
the cost before a crawl's first request), 100,000 < 60 s, opening a current store in a fresh process
(imports included) < 0.2 s, health_summaries for 10,000 x 30 runs < 1 s.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from benchmarks._common import fill_runs, peak_mb, timed
from pipeline.config import Config
from pipeline.status import Outcome, Status
from pipeline.store.engine import open_store
from pipeline.store.health import health_summaries, rebuild_health, status_history
from pipeline.store.runs import finish_run, record_result, start_run
from pipeline.store.sync import sync_catalogue
from tests.factory import catalogue, many


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="keep the databases here (default: a temporary directory)")
    args = parser.parse_args()
    workdir = args.out or Path(tempfile.mkdtemp(prefix="bench-store-"))
    workdir.mkdir(parents=True, exist_ok=True)
    config = Config()
    print(f"databases in {workdir}")

    cat10k, _ = timed("build a 10,000-resource catalogue in memory", lambda: catalogue(many(10_000)))
    engine, _ = timed(
        "open_store (migrate an empty database)", open_store, f"sqlite:///{workdir}/10k.db", workdir
    )
    report, first = timed("sync 10,000 into an empty database", sync_catalogue, engine, cat10k)
    assert len(report.added) == 10_000
    report, again = timed("no-change re-sync of 10,000", sync_catalogue, engine, cat10k)
    assert not report.changed_anything
    opened = open_in_fresh_process(f"sqlite:///{workdir}/10k.db", workdir)
    print(f"{'open_store of a current database, in a fresh process (imports included)':<62} {opened:8.3f} s")

    cat20k = catalogue(many(20_000, prefix="twenty"))
    engine20k = open_store(f"sqlite:///{workdir}/20k.db", workdir)
    _, first20k = timed("sync 20,000 into an empty database", sync_catalogue, engine20k, cat20k)
    _, again20k = timed("no-change re-sync of 20,000", sync_catalogue, engine20k, cat20k)
    engine20k.dispose()

    rng = random.Random(7)
    ids = [r.id for r in cat10k.resources]
    timed("insert 30 runs x 10,000 results (bulk, setup)", fill_runs, engine, ids, 30, rng)
    timed("rebuild_health over 300,000 results", rebuild_health, engine, config)
    summaries, summary_s = timed("health_summaries, 10,000 resources x 30 runs", health_summaries, engine)
    assert len(summaries) == 10_000  # uptime is None only for the always-blocked ones
    timed("status_history(last_runs=30), 10,000 resources", status_history, engine)

    run_id = start_run(engine, "manual", 2_000)
    when = datetime(2026, 3, 1, 3, 0)

    def record(n: int) -> None:
        for rid in ids[:n]:
            record_result(engine, run_id, rid, Outcome(f"https://example.org/{rid}", Status.OK, 200), when)

    _, record_s = timed("record_result x 2,000 (one transaction each)", record, 2_000)
    timed("finish_run applying 2,000 results", finish_run, engine, run_id, "complete", config)
    engine.dispose()

    cat100k, _ = timed("build a 100,000-resource catalogue in memory", lambda: catalogue(many(100_000)))
    engine = open_store(f"sqlite:///{workdir}/100k.db", workdir)
    _, big = timed("sync 100,000 into an empty database", sync_catalogue, engine, cat100k)
    _, big_again = timed("no-change re-sync of 100,000", sync_catalogue, engine, cat100k)
    engine.dispose()

    print()
    print(f"first sync 20,000: {first20k:.2f} s (target <= 0.3)   re-sync: {again20k:.2f} s (target: less)")
    print(f"open_store of a current database in a fresh process: {opened:.3f} s (target < 0.2)")
    print(f"first sync 10,000: {first:.2f} s (target < 5)   re-sync: {again:.2f} s (target < 2)")
    print(f"sync 100,000: {big:.2f} s (target < 60)   re-sync 100,000: {big_again:.2f} s")
    print(f"health_summaries 10,000 x 30: {summary_s:.2f} s (target < 1)")
    print(f"record_result: {2_000 / record_s:.0f} results/s   peak RSS {peak_mb():.0f} MB")


def open_in_fresh_process(url: str, workdir: Path) -> float:
    """Wall time of a new interpreter that imports the store and opens a current database (what every
    command pays before its work), less the interpreter's own start."""
    code = (
        "from pathlib import Path; from pipeline.store.engine import open_store; open_store({!r}, Path({!r}))"
    )

    def run(source: str) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", source], check=True, timeout=120)
        return time.perf_counter() - started

    bare = min(run("pass") for _ in range(3))
    return min(run(code.format(url, str(workdir))) for _ in range(3)) - bare


if __name__ == "__main__":
    main()
