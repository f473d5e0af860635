"""`roadmap export`: write the list's README and JSON export (or, with --check, say if they are stale)."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.cli.options import catalogue_option, database_option
from pipeline.cli.render import shown
from pipeline.status import EXIT_OK, EXIT_PROBLEMS


@click.command("export")
@catalogue_option
@database_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write README.md and roadmap.json into this directory instead of config.paths (exports/).",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when the files on disk are out of date.")
def command(catalogue_dir: Path, database_url: str | None, out_dir: Path | None, check: bool) -> None:
    """Write the list's README and JSON export from the catalogue and the recorded link health.

    Deterministic: the same catalogue and database give the same bytes, and only files whose bytes
    change are rewritten. No network access. Until the database has a check run, the health recorded in
    the already published roadmap.json is used.

    \b
    Examples:
      roadmap export                  # exports/README.md and exports/roadmap.json
      roadmap export --out site/      # site/README.md and site/roadmap.json
      roadmap export --check          # in CI: exit 1 when the committed exports are out of date
    """
    from pipeline.publish.data import HealthData, health_for_export
    from pipeline.publish.export import ExportPaths, render_exports
    from pipeline.publish.outputs import stale_outputs, write_outputs
    from pipeline.store.engine import open_store
    from pipeline.validate import load_valid_catalogue

    catalogue = load_valid_catalogue(catalogue_dir)
    engine = open_store(database_url, catalogue_dir)
    try:
        data = HealthData.from_engine(engine)
    finally:
        engine.dispose()
    paths = ExportPaths.resolve(catalogue.config, catalogue_dir, out_dir)
    summaries, recorded_at = health_for_export(data, paths.json)
    files = render_exports(catalogue, summaries, paths, generated_at=recorded_at, links=data.links)
    if check:
        stale = stale_outputs(files)
        for path in stale:
            click.echo(f"{shown(path)}: out of date — run `roadmap export` and commit the result")
        if stale:
            raise click.exceptions.Exit(EXIT_PROBLEMS)
        click.echo(f"exports are up to date: {', '.join(shown(p) for p in paths)}")
        raise click.exceptions.Exit(EXIT_OK)
    changed = write_outputs(files)
    for path in paths:
        click.echo(f"{'wrote' if path in changed else 'unchanged'} {shown(path)}")
