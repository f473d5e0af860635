"""Publish figures: `roadmap export` and `roadmap report` for 10,000 resources with 30 runs of history each.

Builds the database with the store API in bulk (sync_catalogue, then 30 concluded runs of 10,000 results
inserted directly and applied with rebuild_health), then times what the two commands do after loading the
catalogue: read the health from the store, render and write the files. Prints seconds, file sizes and peak
memory from one run. With --browser, opens reports/index.html in real Chromium (Playwright, Debian's
/usr/bin/chromium) and measures the page: its weight, the time until the first rows are on screen, and how
long a filter or sort change takes until the next frame is painted.

    .venv/bin/python benchmarks/bench_publish.py [--resources N] [--runs N] [--out DIR] [--browser]

Targets (2-core machine): export < 3 s, report < 5 s; index.html <= 3 MB at 10,000 x 30, a filter
change answered within 1 s.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from benchmarks._common import fill_runs, peak_mb, timed
from pipeline.publish.data import HealthData
from pipeline.publish.export import ExportPaths, render_exports
from pipeline.publish.outputs import write_outputs
from pipeline.publish.reports import build_health_report, write_reports
from pipeline.store.engine import open_store
from pipeline.store.health import rebuild_health
from pipeline.store.sync import sync_catalogue
from tests.factory import SECTIONS, make_catalogue, resource


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--out", type=Path, help="keep the database and outputs here (default: a temp dir)")
    parser.add_argument("--browser", action="store_true", help="measure index.html in real Chromium")
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
        return write_outputs(render_exports(catalogue, data.summaries, paths, generated_at=data.recorded_at))

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
    if args.browser:
        measure_page(workdir / "reports" / "index.html", args.resources, args.runs)


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Change one control, then wait for the frame after the change to be painted.
CHANGE = """([selector, value]) => new Promise(done => {
  const started = performance.now();
  const control = document.querySelector(selector);
  control.value = value;
  control.dispatchEvent(new Event(control.tagName === "INPUT" ? "input" : "change"));
  requestAnimationFrame(() => setTimeout(() => done(performance.now() - started), 0));
})"""
CHANGES = (
    ("#filter-state", "broken"),
    ("#filter-state", ""),
    ("#filter-section", "calculus"),
    ("#filter-section", ""),
    ("#filter-text", "res-0012"),
    ("#filter-text", ""),
    ("#sort", "uptime"),
    ("#sort", "change"),
    ("#sort", "severity"),
)


def measure_page(page_file: Path, resources: int, runs: int) -> None:
    from playwright.sync_api import sync_playwright

    size = page_file.stat().st_size
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.route(
            "**/*",
            lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort(),
        )
        started = time.perf_counter()
        page.goto(page_file.as_uri(), wait_until="commit")
        page.wait_for_selector("#resources > li")
        first_rows = time.perf_counter() - started
        paint = page.evaluate(
            "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null"
        )
        rendered = page.eval_on_selector_all("#resources > li", "rows => rows.length")
        latencies = [(f"{sel} = {value!r}", page.evaluate(CHANGE, [sel, value])) for sel, value in CHANGES]
        browser.close()
    print()
    print(f"index.html {resources:,} x {runs} runs: {size / 1e6:.2f} MB (target <= 3 MB)")
    print(f"  first rows on screen {first_rows:.2f} s after navigation ({rendered} rows rendered)")
    if paint is not None:
        print(f"  first contentful paint {paint / 1000:.2f} s")
    for label, ms in latencies:
        print(f"  {label:<28} answered in {ms:6.1f} ms")
    print(f"  slowest change {max(ms for _, ms in latencies):.1f} ms (target < 1000)")


if __name__ == "__main__":
    main()
