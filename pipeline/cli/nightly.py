"""`roadmap nightly`: the whole job in one command, then one summary and the exit code."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pipeline.cli.options import (
    allow_private_addresses_option,
    catalogue_option,
    database_option,
    format_option,
)
from pipeline.cli.render import live_line, shown
from pipeline.clock import isoformat
from pipeline.status import counts_text
from pipeline.wording import plural

if TYPE_CHECKING:  # the command imports it when it runs: `roadmap --help` stays fast
    from pipeline.nightly import NightlyResult


def render_text(result: NightlyResult) -> list[str]:
    lines = [f"roadmap nightly: {result.headline}"]
    sync = result.sync
    if sync is not None:
        moved = [
            f"{len(ids)} {what}"
            for what, ids in (
                ("added", sync.added),
                ("changed", sync.changed),
                ("retired", sync.retired),
                ("restored", sync.restored),
            )
            if ids
        ]
        lines.append(f"Catalogue: {', '.join(moved) if moved else 'no changes'} since the last sync.")
    seed = result.seed
    if seed is not None and seed.seeded and seed.source is not None:
        restored = plural(seed.seeded, "resource")
        lines.append(f"Database: new; the health of {restored} was restored from {shown(seed.source)}.")
    check = result.check
    if check is not None:
        run = f"run #{check.run.id}, {check.run.conclusion}"
        if result.inconclusive:
            lines.append(
                f"Checked: {check.run.checked} of {plural(check.run.total, 'due resource')} ({run})."
            )
            lines.append(
                f"Inconclusive: {check.message}. "
                + (
                    "The reports and exports show the last known health."
                    if result.health_known
                    else "No run has concluded yet, so no link's health is known."
                )
            )
        else:
            parts = counts_text(check.run.counts)
            lines.append(
                f"Checked: {check.run.checked} of {plural(check.run.total, 'due resource')} ({run})"
                f"{': ' + parts if parts else ''}."
            )
    elif "check" in result.steps_done:
        when = isoformat(result.next_due_at)
        lines.append(f"Checked: nothing was due{f'; the next check is due at {when}' if when else ''}.")
    if result.interrupted:
        return lines
    if result.changes:
        lines.append(
            "Changed: " + "; ".join(f"{title}: {', '.join(ids)}" for title, ids in result.changes) + "."
        )
    elif check is not None and not result.inconclusive:
        lines.append("Changed: nothing since the previous run.")
    if result.attention:
        lines.append(f"Needs a human ({result.who_needs_a_human()}):")
        for group in result.attention:
            lines.append(f"  {group.title} — {group.todo}")
            lines.extend(f"    - {entry}" for entry in group.resources)
    else:
        lines.append("Needs a human: nothing.")
    if result.reports:
        lines.append(f"Reports: {', '.join(shown(p) for p in result.reports)}")
    if result.exports:
        lines.append(
            "Exports: "
            + ", ".join(
                f"{shown(p)} ({'updated' if p in result.exports_changed else 'unchanged'})"
                for p in result.exports
            )
        )
    return lines


STAGE_LABELS = {
    "validate": "validate the catalogue",
    "migrate": "bring the database up to date",
    "sync": "sync the catalogue into the database",
    "check": "check the due links",
    "report": "write the reports",
    "export": "write the exports",
}


class StageProgress:
    """Draws the nightly job stage by stage on a rich Progress: each stage a line that ticks when done,
    the check with its bar (resources checked of those due)."""

    def __init__(self, bar: Any) -> None:
        self.bar = bar
        self.task: Any = None

    def stage(self, name: str) -> None:
        self.done()
        self.task = self.bar.add_task(STAGE_LABELS.get(name, name), total=None, now="", count="")

    def checking(self, total: int) -> Callable[[str, Any], None]:
        task, done = self.task, [0]
        self.bar.update(task, total=total, completed=0, count=f"0/{total}")

        def advance(resource_id: str, outcome: Any) -> None:
            done[0] += 1
            self.bar.update(task, advance=1, count=f"{done[0]}/{total}", now=live_line(resource_id, outcome))

        return advance

    def done(self) -> None:
        if self.task is not None:
            total = next(t.total for t in self.bar.tasks if t.id == self.task)
            self.bar.update(self.task, total=total or 1, completed=total or 1, now="")
            self.task = None


@contextmanager
def terminal_progress(enabled: bool, console: Any = None) -> Iterator[StageProgress | None]:
    """Stage-by-stage progress on a terminal (stderr); nothing in CI or when piped, as `roadmap check`."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        SpinnerColumn(finished_text="[green]✓"),
        TextColumn("{task.description:<38}"),
        BarColumn(bar_width=24),
        TextColumn("{task.fields[count]:>9}"),  # resources checked of those due; blank for other stages
        TimeElapsedColumn(),
        TextColumn("{task.fields[now]}"),
        console=console or Console(stderr=True),
    ) as bar:
        progress = StageProgress(bar)
        try:
            yield progress
        finally:
            progress.done()


@click.command("nightly")
@catalogue_option
@database_option
@click.option("--all", "check_all", is_flag=True, help="Check every resource now, not only the due ones.")
@allow_private_addresses_option
@format_option("text", "json")
def command(
    catalogue_dir: Path,
    database_url: str | None,
    check_all: bool,
    allow_private_addresses: bool,
    output_format: str,
) -> None:
    """Validate, migrate, sync, check the due links, write the reports and the exports, then summarise.

    Healthy links are checked less often the longer they stay healthy (catalogue/config.yaml, `recheck`),
    failing ones again within a day; --all checks everything now. A new database is seeded from the
    published exports/roadmap.json, so no history is lost on a runner that keeps nothing. One run at a
    time per database. SIGINT/SIGTERM stop cleanly: finished results are kept, the run is concluded
    interrupted. A link that failed at the network level (no name, refused, unreachable) reads "not judged
    (network)" in an inconclusive or interrupted run: only a complete run judges it.

    Exit status: 0 healthy; 1 when reports/health.md lists anything under "Needs a human" (a broken,
    paywalled, moved or pending link, or a site blocking robots; warnings count) or a quality rule of
    severity "error" fails; a rule set to "off" in catalogue/config.yaml (`quality:`) lists nothing, and a
    link failing fewer than `check.broken_after` runs in a row is only watched; 2 usage error, invalid
    catalogue or the database is in use; 3 inconclusive (the network looks down; the reports and exports
    still show the last known health) or interrupted.

    \b
    Examples:
      roadmap nightly                    # what the nightly CI job runs
      roadmap nightly --all              # check every link now
      roadmap nightly --format json      # the summary as JSON, for scripts
    """
    from pipeline.crawl.fetchprocess import prestarted

    with prestarted(catalogue_dir) as process:  # first: its imports overlap the job's own
        from pipeline.cli.check import interactive
        from pipeline.nightly import NightlyRequest, run_nightly

        request = NightlyRequest(
            catalogue_dir=catalogue_dir,
            database_url=database_url,
            check_all=check_all,
            allow_private_addresses=allow_private_addresses,
        )
        with terminal_progress(interactive()) as progress:
            result = run_nightly(request, progress=progress, fetch_process=process)
    if output_format == "json":
        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        for line in render_text(result):
            click.echo(line)
    raise click.exceptions.Exit(result.exit_code)
