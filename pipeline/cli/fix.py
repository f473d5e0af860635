"""`roadmap fix`: edits of the catalogue that the recorded health calls for."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from pipeline.cli.options import catalogue_option, database_option
from pipeline.cli.render import shown

if TYPE_CHECKING:  # the commands import them when they run: `roadmap --help` stays fast
    from pipeline.model import Catalogue
    from pipeline.store.health import HealthSummary


@click.group("fix")
def command() -> None:
    """Edit the catalogue files where the link health says they are out of date.

    \b
    Examples:
      roadmap fix redirects --dry-run   # show which URLs moved for good
      roadmap fix dead --dry-run        # show the checked repairs of dead links
    """


@command.command("redirects", short_help="Rewrite the URLs of resources that moved for good.")
@catalogue_option
@database_option
@click.option("--dry-run", is_flag=True, help="Print the changes without writing any file.")
def redirects(catalogue_dir: Path, database_url: str | None, dry_run: bool) -> None:
    """Rewrite the url of every resource that moved for good (status `redirected`, "moved" in the reports).

    The new URL is the end of the permanent part of the recorded redirect chain (a move followed by a
    temporary hop to a language or landing page updates to the end of the move); a #fragment is kept.
    Only the bytes of each url value change: comments, quoting, indentation, flow or block layout and
    line ends stay as written. A resource that is not rewritten is listed with the reason (a sign-in
    page, a file edited since the check, ...). No network access: it uses the latest recorded check.

    \b
    Examples:
      roadmap fix redirects             # edit catalogue/resources/*.yaml
      roadmap fix redirects --dry-run   # print what would change
    """
    from pipeline.repair.redirects import fix_redirects

    catalogue, summaries = _catalogue_and_health(catalogue_dir, database_url)
    changes = fix_redirects(catalogue, summaries, dry_run=dry_run)
    _report(changes, dry_run, "no resource moved for good: nothing to change")


def _catalogue_and_health(
    catalogue_dir: Path, database_url: str | None
) -> tuple[Catalogue, dict[str, HealthSummary]]:
    """The valid catalogue and the recorded health summaries every fix works from."""
    from pipeline.store.engine import open_store
    from pipeline.store.health import health_summaries
    from pipeline.validate import load_valid_catalogue

    catalogue = load_valid_catalogue(catalogue_dir)
    engine = open_store(database_url, catalogue_dir)
    try:
        return catalogue, health_summaries(engine)
    finally:
        engine.dispose()


def _report(changes: list, dry_run: bool, nothing: str) -> None:
    made = [c for c in changes if c.applied]
    for change in changes:
        where = shown(change.file)
        if change.applied:
            verb = "would change" if dry_run else "changed"
            archived = (
                f" (archived copy; archived_from: {change.archived_from})" if change.archived_from else ""
            )
            click.echo(f"{where}: {verb} url {change.old_url} -> {change.new_url}{archived}")
        elif change.new_url != change.old_url:
            click.echo(f"{where}: skipped {change.old_url} -> {change.new_url}: {change.skipped}")
        else:
            click.echo(f"{where}: skipped {change.old_url}: {change.skipped}")
    if not changes:
        click.echo(nothing)
    elif dry_run:
        click.echo(f"{len(made)} url(s) would change (dry run: no file written)")
    else:
        click.echo(f"{len(made)} url(s) changed")


@command.command("dead")
@catalogue_option
@database_option
@click.option("--dry-run", is_flag=True, help="Print the changes without writing any file.")
@click.option(
    "--archive",
    is_flag=True,
    help="Also use archived copies (Wayback Machine snapshots) where repair.archive_allowed allows them.",
)
def dead(catalogue_dir: Path, database_url: str | None, dry_run: bool, archive: bool) -> None:
    """Apply the checked repairs of broken links.

    The repair of a broken link is its https/http twin or the same path with or without a trailing
    slash or index.html, found and checked by the last check run.

    With --archive, a broken resource whose section or medium `repair.archive_allowed` (config.yaml)
    lists is pointed at its archived copy, the newest snapshot taken before the link died; the file
    records the original address as `archived_from` and the README marks the entry as an archived copy.
    Only broken resources are changed (failing `check.broken_after` runs in a row: flaky is not dead);
    every failing one that is not is listed with the reason. Same surgical edit as `fix redirects`.
    No network access.

    \b
    Examples:
      roadmap fix dead --dry-run        # print what would change
      roadmap fix dead --archive        # also use archived copies where config allows
    """
    from pipeline.repair.dead import fix_dead

    catalogue, summaries = _catalogue_and_health(catalogue_dir, database_url)
    changes = fix_dead(catalogue, summaries, archive=archive, dry_run=dry_run)
    _report(changes, dry_run, "no dead link: nothing to change")
