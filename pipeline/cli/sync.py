"""`roadmap sync`: make the database say what the validated catalogue says."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.cli.options import catalogue_option, database_option
from pipeline.model import Catalogue
from pipeline.store.engine import open_store
from pipeline.store.sync import SyncReport, sync_catalogue


def _load(catalogue_dir: Path) -> Catalogue:
    """Validate and load (raises CatalogueError with the problems: nothing is opened or written)."""
    from pipeline.validate import load_valid_catalogue

    return load_valid_catalogue(catalogue_dir)


def render(report: SyncReport, where: str) -> list[str]:
    if not report.changed_anything:
        return ["nothing to do: the database matches the catalogue"]
    lines = [f"{verb:<9}{rid}" for verb, ids in _verbs(report) for rid in ids]
    lines += [f"section  {sid}" for sid in report.sections_changed]
    counts = ", ".join(f"{len(ids)} {verb}" for verb, ids in _verbs(report))
    sections = len(report.sections_changed)
    lines.append(f"{where}: {counts}; {sections} section{'' if sections == 1 else 's'} updated")
    return lines


def _verbs(report: SyncReport) -> list[tuple[str, tuple[str, ...]]]:
    return [
        ("added", report.added),
        ("changed", report.changed),
        ("retired", report.retired),
        ("restored", report.restored),
    ]


@click.command("sync")
@catalogue_option
@database_option
def command(catalogue_dir: Path, database_url: str | None) -> None:
    """Bring the database in line with the catalogue, in one transaction.

    Validates the catalogue first (an invalid one changes nothing), then adds new resources, updates
    changed ones, retires removed ones (kept with their history) and restores re-added ones. Running it
    twice in a row changes nothing.

    \b
    Examples:
      roadmap sync
      roadmap sync --catalogue catalogue --database sqlite:///roadmap.db
    """
    catalogue = _load(catalogue_dir)
    engine = open_store(database_url, catalogue_dir)
    try:
        report = sync_catalogue(engine, catalogue)
        where = engine.url.render_as_string(hide_password=True)
    finally:
        engine.dispose()
    for line in render(report, where):
        click.echo(line)
