"""`roadmap import SOURCE.md --into DIR`: a Markdown list becomes a catalogue directory."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.importer import import_list
from pipeline.status import EXIT_OK
from pipeline.wording import plural


@click.command("import")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--into",
    "into",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The catalogue directory to write (new or empty).",
)
@click.option("--replace", is_flag=True, help="Import again over a catalogue made by roadmap import.")
def command(source: Path, into: Path, replace: bool) -> int:
    """Turn a Markdown list (an "awesome list" README) into a catalogue directory.

    Headings become sections (nested, in order, with their prose), list items and table rows become one
    resource file each, the introduction and prose sections are kept verbatim, and the table of contents
    is left to `roadmap export` to regenerate. Whatever cannot be mapped is kept as text and reported as
    `file:line: kept as text: why`. Then run `roadmap validate --catalogue DIR`.

    \b
    Examples:
      roadmap import README.md --into mylist/catalogue
      roadmap validate --catalogue mylist/catalogue
      roadmap export --catalogue mylist/catalogue      # writes mylist/exports/README.md
    """
    report = import_list(source, into, replace=replace)
    for kept in report.kept:
        click.echo(f"{source}:{kept.line}: kept as text: {kept.why}")
    kept = len(report.kept)
    click.echo(
        f"{into}: {plural(report.resources, 'resource')} ({report.with_url} with a web address) in "
        f"{plural(report.sections, 'section')} from {source}"
        + (f"; {kept} part{'s' * (kept != 1)} kept as text" if kept else "")
    )
    return EXIT_OK
