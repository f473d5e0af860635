"""Publish figures: `roadmap export` and `roadmap report` for 10,000 resources with 30 runs of history each.

Builds the database with the store API in bulk (sync_catalogue, then 30 concluded runs of 10,000 results
inserted directly and applied with rebuild_health), then times what the two commands do after loading the
catalogue: read the health from the store, render and write the files. Prints seconds, file sizes and peak
memory from one run.

    .venv/bin/python benchmarks/bench_publish.py [--resources N] [--runs N] [--out DIR]

Targets (2-core machine): export < 3 s, report < 5 s.
"""

from __future__ import annotations

import argparse
import random
import resource as rusage
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from pipeline.publish.data import HealthData
from pipeline.publish.export import ExportPaths, write_exports
from pipeline.publish.reports import build_health_report, write_reports
from pipeline.status import Status
from pipeline.store.engine import open_store
from pipeline.store.health import rebuild_health, result_t, run_t
from pipeline.store.sync import sync_catalogue
from tests.publish.factory import SECTIONS, make_catalogue, resource


def peak_mb() -> float:
    return rusage.getrusage(rusage.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def timed(label: str, func, *args, **kwargs):
    started = time.perf_counter()
    value = func(*args, **kwargs)
    seconds = time.perf_counter() - started
    print(f"{label:<62} {seconds:8.3f} s   peak RSS {peak_mb():7.1f} MB", flush=True)
    return value, seconds


def resources(n: int):
    media = ("video-series", "interactive", "course", "book", "code", "cheatsheet", "dataset")
    return tuple(
        resource(
            f"res-{i:06d}",
            SECTIONS[i % len(SECTIONS)].id,
            10 * (i // len(SECTIONS)),
            title=f"Resource {i:06d}: a [visual] *explainer*",
            medium=media[i % len(media)],
            url=None if i % 997 == 0 else f"https://host{i % 400}.example.org/r/{i}",
            awaiting_url="Not verified yet." if i % 997 == 0 else None,
        )
        for i in range(n)
    )


def fill_runs(engine, ids: list[str], runs: int, rng: random.Random) -> None:
    """Concluded runs with a result for every resource. Each resource has a character: most stay ok, some
    moved, some flaky, some die at some run and stay dead, some are blocked."""
    start = datetime(2026, 10, 1, 3, 0)
    kinds = rng.choices(["ok", "moved", "flaky", "dies", "blocked"], weights=[85, 4, 5, 4, 2], k=len(ids))
    dies_at = [rng.randrange(runs) for _ in ids]
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
                        "redirect_chain": [],
                        "evidence": [],
                        "network_failure": False,
                    }
                )
            connection.execute(insert(result_t), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--out", type=Path, help="keep the database and outputs here (default: a temp dir)")
    args = parser.parse_args()
    workdir = args.out or Path(tempfile.mkdtemp(prefix="bench-publish-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"working in {workdir}")

    catalogue, _ = timed(
        f"build a {args.resources:,}-resource catalogue in memory", make_catalogue, resources(args.resources)
    )
    engine = open_store(f"sqlite:///{workdir}/publish.db", workdir / "catalogue")
    timed("setup: sync_catalogue", sync_catalogue, engine, catalogue)
    ids = [r.id for r in catalogue.resources if r.url]
    timed(
        f"setup: insert {args.runs} runs x {len(ids):,} results (bulk)",
        fill_runs,
        engine,
        ids,
        args.runs,
        random.Random(6),
    )
    timed("setup: rebuild_health", rebuild_health, engine, catalogue.config)

    paths = ExportPaths(workdir / "exports" / "README.md", workdir / "exports" / "roadmap.json")

    def export() -> list[Path]:
        data = HealthData.from_engine(engine)
        return write_exports(catalogue, data.summaries, paths, generated_at=data.recorded_at)

    def report() -> list[Path]:
        return write_reports(build_health_report(catalogue, engine), workdir / "reports")

    written, export_s = timed("export: read health + render + write README and JSON", export)
    assert written == [paths.readme, paths.json]
    unchanged, export_again_s = timed("export again (no change: nothing rewritten)", export)
    assert unchanged == []
    report_paths, report_s = timed("report: read health + history, rules, render + write 4 files", report)
    _, report_again_s = timed("report again", report)

    print()
    for path in [*written, *report_paths]:
        print(f"{path.relative_to(workdir)!s:<24} {path.stat().st_size / 1e6:8.2f} MB")
    print()
    print(
        f"export {args.resources:,} x {args.runs} runs: {export_s:.2f} s (target < 3), "
        f"no-change re-export {export_again_s:.2f} s"
    )
    print(
        f"report {args.resources:,} x {args.runs} runs: {report_s:.2f} s (target < 5), "
        f"again {report_again_s:.2f} s"
    )
    print(f"peak RSS {peak_mb():.0f} MB")
    engine.dispose()


if __name__ == "__main__":
    main()
