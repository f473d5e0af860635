"""`roadmap schedule`: run the nightly job on the catalogue's cron schedule until stopped."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

from pipeline.cli.options import allow_private_addresses_option, catalogue_option, database_option
from pipeline.status import EXIT_OK
from pipeline.wording import plural


@click.command("schedule")
@catalogue_option
@database_option
@allow_private_addresses_option
def command(catalogue_dir: Path, database_url: str | None, allow_private_addresses: bool) -> None:
    """Run `roadmap nightly` on the schedule in catalogue/config.yaml (`schedule`), until stopped.

    A long-running process (APScheduler): cron expression and time zone from the configuration (default
    every night at 03:00 UTC); the job is kept in the database, so a night missed while the machine was
    down runs once on start if it is at most `misfire_grace_s` late. Never two runs at once. Logs when
    the next run is. SIGTERM or Ctrl-C stop it cleanly (a run in progress is concluded interrupted). A changed
    schedule takes effect on restart; each run reads the catalogue afresh. Exit status: 0 after a clean
    stop, 2 when the catalogue or the schedule is invalid or another scheduler uses the database.

    \b
    Examples:
      roadmap schedule                                   # e.g. as a systemd service
      ROADMAP_DATABASE_URL=sqlite:////srv/list/roadmap.db roadmap schedule --catalogue /srv/list/catalogue
    """
    # Log lines (when the next run is, how each run ended) go to stderr with a timestamp.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s roadmap schedule: %(message)s", "%Y-%m-%dT%H:%M:%S%z")
    )
    logger = logging.getLogger("pipeline.schedule")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        report = _schedule(catalogue_dir, database_url, allow_private_addresses)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    click.echo(
        f"roadmap schedule: stopped ({report.stopped_by}) after {plural(report.runs, 'run')} "
        f"({report.failed} failed, {report.missed} missed)"
    )
    raise click.exceptions.Exit(EXIT_OK)


def _schedule(catalogue_dir: Path, database_url: str | None, allow_private_addresses: bool) -> Any:
    from pipeline.lock import run_lock
    from pipeline.schedule import make_trigger, run_schedule
    from pipeline.store.engine import open_store
    from pipeline.store.location import resolve_database_url
    from pipeline.validate import load_valid_catalogue

    catalogue = load_valid_catalogue(catalogue_dir)
    schedule = catalogue.config.schedule
    make_trigger(schedule)  # an invalid cron or time zone is a ConfigError before anything starts
    url = resolve_database_url(database_url, catalogue_dir)
    with run_lock(url, command="roadmap schedule", purpose="schedule"):
        engine = open_store(url, catalogue_dir)
        try:
            return run_schedule(
                engine,
                schedule,
                {
                    "catalogue_dir": str(Path(catalogue_dir).resolve()),
                    "database_url": url,
                    "allow_private_addresses": allow_private_addresses,
                },
            )
        finally:
            engine.dispose()
