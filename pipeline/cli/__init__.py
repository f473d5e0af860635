"""`roadmap`: thin commands. Each parses options, calls one core function, renders, picks the exit code.

Every command lives in its own module here; this file only assembles them and turns the project's
exceptions into one-line messages (never a traceback).
"""

from __future__ import annotations

import contextlib
import os
import sys

import click

from pipeline import __version__
from pipeline.cli.lazy import LazyCommand, LazyGroup
from pipeline.errors import RoadmapError
from pipeline.status import EXIT_OK, EXIT_USAGE

# Every command: its name, where it is defined, and its line in `roadmap --help`. The module is imported
# only when the command runs (tests/test_cli_commands.py checks this table against pipeline/cli/).
COMMANDS = {
    "validate": LazyCommand(
        "pipeline.cli.validate:command", "Check the catalogue against the schemas and the list's rules."
    ),
    "db": LazyCommand(
        "pipeline.cli.db:command", "The database schema: show its revision or bring it up to date."
    ),
    "sync": LazyCommand(
        "pipeline.cli.sync:command", "Bring the database in line with the catalogue, in one transaction."
    ),
    "check": LazyCommand(
        "pipeline.cli.check:command", "Check the health of every link and record the verdicts."
    ),
    "runs": LazyCommand(
        "pipeline.cli.runs:command", "List the recent check runs: when, trigger, outcome, counts, duration."
    ),
    "history": LazyCommand("pipeline.cli.history:command", "Show one resource's checks and incidents."),
    "export": LazyCommand("pipeline.cli.export:command", "Write the list's README and JSON export."),
    "report": LazyCommand(
        "pipeline.cli.report:command", "Write the health and quality reports (reports/ by default)."
    ),
    "fix": LazyCommand(
        "pipeline.cli.fix:command", "Edit the catalogue where the link health says it is out of date."
    ),
    "nightly": LazyCommand(
        "pipeline.cli.nightly:command", "Validate, sync, check the due links, write reports and exports."
    ),
    "schedule": LazyCommand(
        "pipeline.cli.schedule:command", "Run `roadmap nightly` on the configured schedule, until stopped."
    ),
    "import": LazyCommand(
        "pipeline.cli.importer:command", "Turn a Markdown list (an awesome-list README) into a catalogue."
    ),
}


@click.group(
    cls=LazyGroup,
    lazy_commands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="roadmap")
def cli() -> None:
    """Keep the 'math behind Machine Learning' roadmap alive and honest.

    \b
    Examples:
      roadmap nightly            # validate, sync, check, report, export
      roadmap validate           # what CI runs on every pull request
    """


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
        sys.exit(EXIT_USAGE)
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
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_OK)


def run() -> None:
    """The `roadmap` program (and `python -m pipeline`): main(), then leave without tearing the heap down.

    Every command has finished its work when main() returns or raises SystemExit: files are written and
    closed, database connections disposed. What the interpreter would still do is free every object one
    by one, which at 2,000 resources takes 0.15 s after `roadmap check` is done (seconds at 100,000). So
    the output streams are flushed and the process ends at once with main()'s exit status. Tests call
    main(), which exits normally.
    """
    code = EXIT_OK
    try:
        main()
    except SystemExit as done:  # main() ends here, always with an int status (or None: 0)
        code = int(done.code or EXIT_OK)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader that left early (roadmap runs | head)
            stream.flush()
    os._exit(code)
