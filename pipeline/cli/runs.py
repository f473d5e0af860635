"""`roadmap runs`: the recent check runs, newest first (when, trigger, outcome, counts, duration)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from pipeline.cli.options import catalogue_option, database_option, format_option
from pipeline.cli.render import columns
from pipeline.clock import readable
from pipeline.status import counts_text


def duration(started: datetime, finished: datetime | None) -> str:
    if finished is None:
        return "running"
    seconds = max(0, round((finished - started) / timedelta(seconds=1)))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {seconds:02d}s" if minutes else f"{seconds}s"


def render_text(runs: list[Any]) -> list[str]:
    if not runs:
        return ["No check has run yet. Run `roadmap check` or `roadmap nightly`."]
    header = ("run", "started", "trigger", "outcome", "checked", "duration", "results")
    rows = [
        (
            f"#{run.id}",
            readable(run.started_at),
            run.trigger,
            run.conclusion,
            f"{run.checked}/{run.total}",
            duration(run.started_at, run.finished_at),
            counts_text(run.counts) or "-",
        )
        for run in runs
    ]
    lines = columns([header, *rows])
    notes = [f"#{run.id}: {run.note}" for run in runs if run.note]
    if notes:
        lines += ["", *notes]
    return lines


def run_json(run: Any) -> dict[str, Any]:
    """The run's JSON (RunInfo.to_json) and how long it took."""
    finished = run.finished_at
    duration_s = None if finished is None else round((finished - run.started_at).total_seconds(), 3)
    return {**run.to_json(), "duration_s": duration_s}


@click.command("runs", short_help="List the recent check runs: when, trigger, outcome, counts, duration.")
@catalogue_option
@database_option
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True, metavar="N", help="Runs to list."
)
@format_option("text", "json")
def command(catalogue_dir: Path, database_url: str | None, limit: int, output_format: str) -> None:
    """List the recent check runs, newest first: when each started, what started it (manual, nightly,
    scheduled), how it concluded (complete, interrupted, inconclusive, aborted; only complete and
    interrupted runs change a resource's health), how many results of each status, and how long it took.

    Reads the database only: no network access, nothing is written.

    \b
    Examples:
      roadmap runs                       # the last 20 runs
      roadmap runs --limit 5 --format json
    """
    from pipeline.store.engine import open_store
    from pipeline.store.history import recent_runs

    engine = open_store(database_url, catalogue_dir)
    try:
        runs = recent_runs(engine, limit)
    finally:
        engine.dispose()
    if output_format == "json":
        click.echo(json.dumps({"runs": [run_json(r) for r in runs]}, indent=2, ensure_ascii=False))
    else:
        for line in render_text(runs):
            click.echo(line)
