"""`roadmap nightly`: the whole job in one command, then one summary and the exit code."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import click

from pipeline.cli.options import catalogue_option, database_option, format_option
from pipeline.cli.render import plural, shown
from pipeline.clock import isoformat


def render_text(result: object) -> list[str]:
    from pipeline.nightly import NightlyResult

    assert isinstance(result, NightlyResult)
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
                f"Inconclusive: {check.message}. The reports and exports show the last known health."
            )
        else:
            counts = sorted(Counter(check.run.counts).items(), key=lambda kv: (-kv[1], kv[0]))
            parts = ", ".join(f"{n} {status}" for status, n in counts)
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
        lines.append(f"Needs a human ({plural(result.needs_human, 'resource')}):")
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


@click.command("nightly")
@catalogue_option
@database_option
@click.option("--all", "check_all", is_flag=True, help="Check every resource now, not only the due ones.")
@click.option(
    "--allow-private-addresses",
    is_flag=True,
    help="Let the crawler connect to loopback and private addresses (tests only; never in production).",
)
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
    Example:
      roadmap nightly                    # what the nightly CI job runs
      roadmap nightly --all              # check every link now
      roadmap nightly --format json      # the summary as JSON, for scripts
    """
    from pipeline.nightly import NightlyRequest, run_nightly

    result = run_nightly(
        NightlyRequest(
            catalogue_dir=catalogue_dir,
            database_url=database_url,
            check_all=check_all,
            allow_private_addresses=allow_private_addresses,
        )
    )
    if output_format == "json":
        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        for line in render_text(result):
            click.echo(line)
    raise click.exceptions.Exit(result.exit_code)
