"""`roadmap report`: write the health and quality reports and print a summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from pipeline.cli.options import catalogue_option, database_option, format_option
from pipeline.cli.render import shown
from pipeline.clock import isoformat
from pipeline.status import EXIT_OK, EXIT_PROBLEMS


def summary_text(report: Any, written: list[Path]) -> str:
    lines = []
    run = report.latest_run
    if run is None:
        lines.append("No check has run yet.")
    else:
        lines.append(
            f"Latest run #{run.id} ({run.trigger}, {run.conclusion}), started {isoformat(run.started_at)}:"
            f" {run.checked} of {run.total} checked."
        )
    if report.inconclusive:
        note = f": {report.inconclusive_note}" if report.inconclusive_note else ""
        known = (
            f"Showing the last known health, from run #{report.conclusive_run.id}."
            if report.conclusive_run is not None
            else "No run has concluded yet, so no link's health is known."
        )
        lines.append(f"The latest run was inconclusive{note}. {known}")
    order = ("ok", "moved", "failing", "broken", "blocked", "skipped", "pending", "unchecked")
    states = ", ".join(f"{report.state_counts[s]} {s}" for s in order if report.state_counts.get(s))
    lines.append(f"{len(report.rows)} resources: {states or 'none'}.")
    changes = ", ".join(f"{len(g.items)} {g.title.lower()}" for g in report.changes if g.items)
    lines.append(f"Changes: {changes or 'none'}.")
    todo = ", ".join(f"{len(g.items)} {g.title.lower()}" for g in report.actions if g.items)
    lines.append(f"Needs a human: {todo or 'nothing'}.")
    lines.append(f"Quality: {len(report.errors)} error(s), {len(report.warnings)} warning(s).")
    for finding in report.errors:
        lines.append(f"  {finding.file}: {finding.rule}: {finding.evidence} — {finding.fix}")
    lines.append(f"Wrote {', '.join(shown(p) for p in written)}.")
    return "\n".join(lines)


@click.command("report")
@catalogue_option
@database_option
@format_option("text", "json", "markdown")
def command(catalogue_dir: Path, database_url: str | None, output_format: str) -> None:
    """Write the health and quality reports (reports/ by default) and print a summary.

    Writes health.md (usable as a GitHub issue body), health.json, quality.md and index.html (a
    self-contained status page). Exits 1 when a link is broken or a quality rule of severity "error"
    fails, 0 otherwise. No network access: it reports the recorded health.

    \b
    Examples:
      roadmap report                     # summary on the terminal, files in reports/
      roadmap report --format markdown   # print health.md, e.g. into a GitHub issue
    """
    from pipeline.publish.reports import build_health_report, render_reports, write_reports
    from pipeline.store.engine import open_store
    from pipeline.validate import load_valid_catalogue

    catalogue = load_valid_catalogue(catalogue_dir)
    engine = open_store(database_url, catalogue_dir)
    try:
        report = build_health_report(catalogue, engine, catalogue.config)
    finally:
        engine.dispose()
    reports_dir = Path(catalogue_dir).resolve().parent / catalogue.config.paths.reports
    written = write_reports(report, reports_dir)
    if output_format == "json":
        summary = report.summary_json()
        summary["files"] = [shown(p) for p in written]
        summary["errors"] = [f.to_json() for f in report.errors]
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True))
    elif output_format == "markdown":
        click.echo(render_reports(report)["health.md"], nl=False)
    else:
        click.echo(summary_text(report, written))
    raise click.exceptions.Exit(EXIT_PROBLEMS if report.has_problems else EXIT_OK)
