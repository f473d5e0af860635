"""`roadmap`: thin commands. Each parses options, calls one core function, renders, picks the exit code.

Every command lives in its own module here; this file only assembles them and turns the project's
exceptions into one-line messages (never a traceback).
"""

from __future__ import annotations

import sys

import click

from pipeline import __version__
from pipeline.errors import RoadmapError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="roadmap")
def cli() -> None:
    """Keep the 'math behind Machine Learning' roadmap alive and honest.

    \b
    Example:
      roadmap nightly            # validate, sync, check, report, export
      roadmap validate           # what CI runs on every pull request
    """


def _register() -> None:
    from pipeline.cli import check, db, export, fix, importer, nightly, report, schedule, sync, validate

    for module in (validate, db, sync, check, export, report, fix, nightly, schedule, importer):
        cli.add_command(module.command)


_register()


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the group, map our errors to a message and an exit code."""
    try:
        # Without standalone mode click returns (not raises) the code of a command's ctx.exit()/Exit.
        returned = cli.main(args=argv, prog_name="roadmap", standalone_mode=False)
        if isinstance(returned, int) and not isinstance(returned, bool):
            sys.exit(returned)
    except click.exceptions.Exit as stop:
        sys.exit(stop.exit_code)
    except click.ClickException as error:
        error.show()
        sys.exit(2)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except RoadmapError as error:
        click.echo(f"roadmap: error: {error}", err=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except OSError as error:
        # The file system said no (a read-only or missing folder, a full disk): name the path, no traceback.
        where = f"{error.filename}: " if error.filename else ""
        click.echo(f"roadmap: error: {where}{error.strerror or error}", err=True)
        sys.exit(2)
    sys.exit(0)
