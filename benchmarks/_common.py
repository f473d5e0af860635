"""Measuring helpers shared by the benchmark scripts (timing, peak memory, bulk history)."""

from __future__ import annotations

import random
import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from pipeline.status import Status
from pipeline.store.health import result_t, run_t


def compile_package() -> None:
    """Write the package's bytecode, as an install has it after its first run. On a machine that sets
    PYTHONDONTWRITEBYTECODE (this one does) every measured process would otherwise compile the package's
    modules from source: 0.06 s of a `roadmap check` start-up that no user pays twice."""
    package = Path(__file__).resolve().parents[1] / "pipeline"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True, capture_output=True)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def timed(label: str, func, *args, **kwargs):
    """Run func once; print its time and the peak memory so far; return (value, seconds)."""
    started = time.perf_counter()
    value = func(*args, **kwargs)
    seconds = time.perf_counter() - started
    print(f"{label:<62} {seconds:8.3f} s   peak RSS so far {peak_mb():7.1f} MB", flush=True)
    return value, seconds


def fill_runs(engine, ids: list[str], runs: int, rng: random.Random) -> None:
    """Concluded runs with a result for every resource. Each resource has a character: most stay ok, some
    moved, some flaky, some die at some run and stay dead, some are blocked; and a typical response time."""
    start = datetime(2026, 10, 1, 3, 0)
    kinds = rng.choices(["ok", "moved", "flaky", "dies", "blocked"], weights=[85, 4, 5, 4, 2], k=len(ids))
    dies_at = [rng.randrange(runs) for _ in ids]
    typical_ms = [rng.lognormvariate(5.5, 0.8) for _ in ids]  # a host's usual response time, ~250 ms
    with engine.begin() as connection:
        for n in range(runs):
            when = start + timedelta(days=n)
            run_id = connection.execute(
                insert(run_t).values(
                    started_at=when,
                    finished_at=when + timedelta(minutes=20),
                    trigger="nightly",
                    outcome="complete",
                    total=len(ids),
                    checked=len(ids),
                    counts={},
                )
            ).inserted_primary_key[0]
            rows = []
            for i, rid in enumerate(ids):
                kind = kinds[i]
                status = Status.OK
                if kind == "moved":
                    status = Status.REDIRECTED
                elif kind == "flaky" and rng.random() < 0.2:
                    status = Status.TIMEOUT
                elif kind == "dies" and n >= dies_at[i]:
                    status = Status.BROKEN
                elif kind == "blocked":
                    status = Status.BLOCKED
                rows.append(
                    {
                        "run_id": run_id,
                        "resource_id": rid,
                        "checked_at": when,
                        "url": f"https://example.org/{rid}",
                        "status": status.value,
                        "http_status": {Status.OK: 200, Status.REDIRECTED: 301, Status.BLOCKED: 403}.get(
                            status, 404
                        ),
                        "final_url": f"https://example.org/{rid}/moved"
                        if status is Status.REDIRECTED
                        else None,
                        "elapsed_ms": 10_000
                        if status is Status.TIMEOUT
                        else round(typical_ms[i] * rng.uniform(0.7, 1.6)),
                        "redirect_chain": [],
                        "evidence": [],
                        "network_failure": False,
                    }
                )
            connection.execute(insert(result_t), rows)
