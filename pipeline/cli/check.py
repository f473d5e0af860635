"""`roadmap check`: sync the catalogue, check every link, summarise, choose the exit code."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pipeline.cli.options import (
    allow_private_addresses_option,
    catalogue_option,
    database_option,
    format_option,
)
from pipeline.cli.render import live_line
from pipeline.status import (
    EXIT_INCONCLUSIVE,
    EXIT_OK,
    EXIT_PROBLEMS,
    NOT_JUDGED,
    Outcome,
    Status,
    counts_text,
    evidence_text,
    judged,
    shown_status,
    tally,
)

if TYPE_CHECKING:  # the command imports it when it runs: `roadmap --help` stays fast
    from pipeline.checkrun import CheckReport


def render_json(report: CheckReport) -> str:
    run, complete = report.run, _complete(report)
    document = {
        "run": run.to_json(),
        "inconclusive": report.inconclusive,
        "interrupted": report.interrupted,
        "message": report.message,
        # "status" is what the crawler saw; "shown" what every surface prints (NOT_JUDGED for a network-level
        # failure outside a complete run), "judged" whether the result is a verdict on the link.
        # "links": the verdicts on the resource's secondary links, where it has any.
        "results": [
            {"resource_id": rid, **_verdict_json(outcome, complete)}
            | (
                {"links": [{"title": v.title, **_verdict_json(v.outcome, complete)} for v in links]}
                if (links := report.links.get(rid))
                else {}
            )
            for rid, outcome in report.outcomes.items()
        ],
    }
    if report.list_links:  # the links of the list's own text (introduction, sections' prose), if any
        document["list_links"] = [
            {**verdict.to_json(), **_verdict_json(verdict.outcome, complete)} for verdict in report.list_links
        ]
    return json.dumps(document, indent=2, ensure_ascii=False)


def _verdict_json(outcome: Outcome, complete: bool) -> dict[str, object]:
    return {
        **outcome.to_json(),
        "judged": judged(outcome.network_failure, run_complete=complete),
        "shown": shown_status(outcome.status, outcome.network_failure, run_complete=complete),
    }


def render_text(report: CheckReport) -> list[str]:
    """Counts per status, then every result that is not plain ok with its evidence, then the verdict."""
    outcomes = report.outcomes
    complete = _complete(report)
    counts = tally(((o.status, o.network_failure) for o in outcomes.values()), run_complete=complete)
    order = [status.value for status in Status] + [NOT_JUDGED]
    width = max(15, *(len(key) for key in counts))
    lines = ["", f"{'status':<{width}} count"]
    lines += [f"{key:<{width}} {counts[key]:>5}" for key in order if counts.get(key)]
    lines.append(f"{'total':<{width}} {len(outcomes):>5}")
    problems = [(rid, o) for rid, o in outcomes.items() if o.status is not Status.OK]
    if problems:
        shown = {rid: shown_status(o.status, o.network_failure, run_complete=complete) for rid, o in problems}
        rid_width = max(len(rid) for rid, _ in problems)
        status_width = max(14, *(len(word) for word in shown.values()))
        lines += ["", f"{'resource':<{rid_width}}  {'status':<{status_width}}  evidence"]
        for rid, outcome in problems:
            lines.append(f"{rid:<{rid_width}}  {shown[rid]:<{status_width}}  {_evidence(outcome)}")
    lines += _link_lines(report, complete)
    lines += ["", report.message]
    return lines


def _link_lines(report: CheckReport, complete: bool) -> list[str]:
    """The secondary links checked, then the links of the list's own text: their counts, then each one
    that is not plain ok."""
    secondary = [(rid, v.title, v.outcome) for rid, links in report.links.items() for v in links]
    in_text = [(_place(v.link.section, v.link.resource), v.link.title, v.outcome) for v in report.list_links]
    return _verdict_lines("secondary links", "resource", secondary, complete) + _verdict_lines(
        "links in the list's text", "where", in_text, complete
    )


def _place(section: str | None, resource: str | None) -> str:
    if resource is not None:
        return f"before {resource}"
    return section or "introduction"


def _verdict_lines(
    what: str, holder: str, verdicts: list[tuple[str, str, Outcome]], complete: bool
) -> list[str]:
    if not verdicts:
        return []
    counts = tally(((o.status, o.network_failure) for _, _, o in verdicts), run_complete=complete)
    lines = ["", f"{what}: {len(verdicts)} checked: {counts_text(counts)}"]
    problems = [(where, title, o) for where, title, o in verdicts if o.status is not Status.OK]
    if problems:
        shown = [shown_status(o.status, o.network_failure, run_complete=complete) for _, _, o in problems]
        where_width = max(len(holder), *(len(where) for where, _, _ in problems))
        title_width = max(4, *(len(title) for _, title, _ in problems))
        status_width = max(14, *(len(word) for word in shown))
        lines.append(
            f"{holder:<{where_width}}  {'link':<{title_width}}  {'status':<{status_width}}  evidence"
        )
        for (where, title, outcome), word in zip(problems, shown, strict=True):
            detail = f"{outcome.url}: {_evidence(outcome)}"
            lines.append(f"{where:<{where_width}}  {title:<{title_width}}  {word:<{status_width}}  {detail}")
    return lines


def _evidence(outcome: Outcome) -> str:
    return evidence_text(outcome.evidence) or "-"


def _complete(report: CheckReport) -> bool:
    """Whether the run went to the end without looking like an outage (pipeline.status.judged)."""
    return not (report.inconclusive or report.interrupted)


def exit_code(report: CheckReport) -> int:
    if report.inconclusive or report.interrupted:
        return EXIT_INCONCLUSIVE
    if any(o.status.is_failure for o in report.outcomes.values()):  # a complete run: every result judged
        return EXIT_PROBLEMS
    if any(v.outcome.status.is_failure for links in report.links.values() for v in links):
        return EXIT_PROBLEMS  # a secondary link fails: the list still has a link to fix
    if any(v.outcome.status.is_failure for v in report.list_links):
        return EXIT_PROBLEMS  # so does a link in the list's introduction or a section's text
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
            bar.update(task, advance=1, description=live_line(resource_id, outcome))

        yield advance


def interactive() -> bool:
    """Progress is drawn only for a person: stderr is a terminal and this is not CI."""
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
@click.option(
    "--only-failing",
    is_flag=True,
    help=(
        "Check only resources whose latest result is a failure, or one of whose secondary links failed,"
        " and the links of the list's text that failed."
    ),
)
@format_option("text", "json")
@allow_private_addresses_option
def command(
    catalogue_dir: Path,
    database_url: str | None,
    resource_ids: tuple[str, ...],
    only_failing: bool,
    output_format: str,
    allow_private_addresses: bool,
) -> None:
    """Check the health of every link: sync the catalogue, fetch, classify, record, summarise.

    Secondary links of an entry (an imported list's "Demo", "Source Code") are checked too and listed
    on their own; they never change the resource's health. So are the links of the list's own text (its
    introduction, a section's prose), unless --resource chooses what to check.

    Exit status: 0 every link works (blocked and skipped links are listed but do not fail the run),
    1 at least one link (a secondary one or one in the list's text included) is broken, timing out, a
    soft 404, paywalled, behind a login or missing its anchor, 3 inconclusive (the network looks down;
    no health was changed) or interrupted (SIGINT/SIGTERM: finished results are kept), 2 usage error.
    A link that failed at the network level (no name, refused, unreachable) reads "not judged
    (network)" while the run goes on and in an inconclusive or interrupted run: only a complete run
    judges it.

    Repository links (GitHub, GitLab, Gitea/Codeberg; `forges:` in catalogue/config.yaml) are asked of
    the forge's API instead of fetched: renamed is redirected, deleted or private is broken. A token in
    GITHUB_TOKEN (GITLAB_TOKEN, GITEA_TOKEN) raises the limits; it is never printed or stored.

    \b
    Examples:
      roadmap check
      GITHUB_TOKEN=... roadmap check   # 100 GitHub repositories per API query
      roadmap check --resource essence-of-linear-algebra --format json
      roadmap check --only-failing
    """
    from pipeline.crawl.fetchprocess import prestarted

    with prestarted(catalogue_dir) as process:  # first: its imports overlap the run's own
        from pipeline.checkrun import CheckJob, CheckRequest, check

        request = CheckRequest(
            resource_ids=resource_ids or None,
            only_failing=only_failing,
            allow_private_addresses=allow_private_addresses,
            list_links=not resource_ids,
        )
        progress = _progress if interactive() else None
        report = check(
            CheckJob(catalogue_dir, database_url, request), progress=progress, fetch_process=process
        )
    if output_format == "json":
        click.echo(render_json(report))
    else:
        for line in render_text(report):
            click.echo(line)
    code = exit_code(report)
    if code:
        raise click.exceptions.Exit(code)
