"""`roadmap check`: sync the catalogue, check every link, summarise, choose the exit code."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pipeline.cli.options import catalogue_option, database_option, format_option
from pipeline.clock import isoformat
from pipeline.status import EXIT_INCONCLUSIVE, EXIT_OK, EXIT_PROBLEMS, Outcome, Status

if TYPE_CHECKING:  # the command imports it when it runs: `roadmap --help` stays fast
    from pipeline.checkrun import CheckReport


def render_json(report: CheckReport) -> str:
    run = report.run
    document = {
        "run": {
            "id": run.id,
            "trigger": run.trigger,
            "outcome": run.outcome,
            "started_at": isoformat(run.started_at),
            "finished_at": isoformat(run.finished_at),
            "total": run.total,
            "checked": run.checked,
            "counts": run.counts,
            "note": run.note,
        },
        "inconclusive": report.inconclusive,
        "interrupted": report.interrupted,
        "message": report.message,
        "results": [{"resource_id": rid, **outcome.to_json()} for rid, outcome in report.outcomes.items()],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def render_text(report: CheckReport) -> list[str]:
    """Counts per status, then every result that is not plain ok with its evidence, then the verdict."""
    outcomes = report.outcomes
    # In a run voided by a network outage, failures below HTTP are not verdicts about the links.
    unjudged = {rid for rid, o in outcomes.items() if report.inconclusive and o.network_failure}
    counts = Counter(o.status for rid, o in outcomes.items() if rid not in unjudged)
    lines = ["", "status          count"]
    lines += [f"{status.value:<15} {counts[status]:>5}" for status in Status if counts[status]]
    if unjudged:
        lines.append(f"{'not judged':<15} {len(unjudged):>5}  (failed at the network level)")
    lines.append(f"{'total':<15} {len(outcomes):>5}")
    problems = [(rid, o) for rid, o in outcomes.items() if o.status is not Status.OK and rid not in unjudged]
    if problems:
        width = max(len(rid) for rid, _ in problems)
        lines += ["", f"{'resource':<{width}}  {'status':<14}  evidence"]
        for rid, outcome in problems:
            lines.append(f"{rid:<{width}}  {outcome.status.value:<14}  {_evidence(outcome)}")
    lines += ["", report.message]
    return lines


def _evidence(outcome: Outcome) -> str:
    return "; ".join(f"{e.rule}: {e.detail}" for e in outcome.evidence) or "-"


def exit_code(report: CheckReport) -> int:
    if report.inconclusive:
        return EXIT_INCONCLUSIVE
    if any(o.status.is_failure for o in report.outcomes.values()):
        return EXIT_PROBLEMS
    return EXIT_OK


@contextmanager
def _progress(total: int) -> Iterator[Callable[[str, Outcome], None] | None]:
    """A progress bar on a terminal (stderr); not used in CI or when piped."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("checking"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=total)

        def advance(resource_id: str, outcome: Outcome) -> None:
            bar.update(task, advance=1, description=f"{resource_id}: {outcome.status.value}")

        yield advance


def _interactive() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


@click.command("check")
@catalogue_option
@database_option
@click.option(
    "--resource",
    "resource_ids",
    multiple=True,
    metavar="ID",
    help="Check only this resource (repeatable). Default: every resource.",
)
@click.option("--only-failing", is_flag=True, help="Check only resources whose latest result is a failure.")
@format_option("text", "json")
@click.option(
    "--allow-private-addresses",
    is_flag=True,
    help="Allow connections to loopback/private addresses (tests and local mirrors only).",
)
def command(
    catalogue_dir: Path,
    database_url: str | None,
    resource_ids: tuple[str, ...],
    only_failing: bool,
    output_format: str,
    allow_private_addresses: bool,
) -> None:
    """Check the health of every link: sync the catalogue, fetch, classify, record, summarise.

    Exit status: 0 every link works (blocked and skipped links are listed but do not fail the run),
    1 at least one link is broken, timing out, a soft 404, paywalled, behind a login or missing its
    anchor, 3 inconclusive (the network looks down; no health was changed), 2 usage error.

    Repository links (GitHub, GitLab, Gitea/Codeberg; `forges:` in catalogue/config.yaml) are asked of
    the forge's API instead of fetched: renamed is redirected, deleted or private is broken. A token in
    GITHUB_TOKEN (GITLAB_TOKEN, GITEA_TOKEN) raises the limits; it is never printed or stored.

    \b
    Example:
      roadmap check
      GITHUB_TOKEN=... roadmap check   # 100 GitHub repositories per API query
      roadmap check --resource essence-of-linear-algebra --format json
      roadmap check --only-failing
    """
    from pipeline.checkrun import CheckJob, CheckRequest, check

    request = CheckRequest(
        resource_ids=resource_ids or None,
        only_failing=only_failing,
        allow_private_addresses=allow_private_addresses,
    )
    progress = _progress if _interactive() else None
    report = check(CheckJob(catalogue_dir, database_url, request), progress=progress)
    if output_format == "json":
        click.echo(render_json(report))
    else:
        for line in render_text(report):
            click.echo(line)
    code = exit_code(report)
    if code:
        raise click.exceptions.Exit(code)
