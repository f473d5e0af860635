"""`roadmap db`: the database schema (alembic migrations in migrations/)."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import Engine

from pipeline.cli.options import catalogue_option, database_option
from pipeline.errors import StoreError
from pipeline.store.engine import (
    current_revision,
    head_revision,
    make_engine,
    revisions,
    sqlite_file,
    upgrade,
)
from pipeline.store.location import resolve_database_url


@click.group("db")
def command() -> None:
    """The database schema: show its revision or bring it up to date.

    Every command that opens the database upgrades it first; these are for looking and for doing it
    on purpose (e.g. before a deploy).

    \b
    Examples:
      roadmap db upgrade
      roadmap db current --database sqlite:///roadmap.db
    """


def _where(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _exists(engine: Engine) -> bool:
    database = sqlite_file(engine.url)
    return database is None or database.exists()


@command.command("upgrade", short_help="Run the migrations up to the newest revision.")
@catalogue_option
@database_option
def upgrade_command(catalogue_dir: Path, database_url: str | None) -> None:
    """Run the migrations up to the newest revision (creates the database if it is new).

    \b
    Example:
      roadmap db upgrade --database sqlite:///roadmap.db
    """
    engine = make_engine(resolve_database_url(database_url, catalogue_dir))
    try:
        database = sqlite_file(engine.url)
        if database is not None:
            database.parent.mkdir(parents=True, exist_ok=True)
        before, head = current_revision(engine), head_revision()
        if before == head:
            click.echo(f"{_where(engine)}: already at the newest revision {head}")
            return
        upgrade(engine)
        click.echo(f"{_where(engine)}: upgraded from {before or 'an empty database'} to revision {head}")
    finally:
        engine.dispose()


@command.command("current", short_help="Show the schema revision and the newest one.")
@catalogue_option
@database_option
def current_command(catalogue_dir: Path, database_url: str | None) -> None:
    """Show the database's schema revision and the newest one (changes nothing).

    \b
    Example:
      roadmap db current
    """
    engine = make_engine(resolve_database_url(database_url, catalogue_dir))
    try:
        head = head_revision()
        if not _exists(engine):
            click.echo(f"{_where(engine)}: no database yet (the newest revision is {head})")
            return
        revision = current_revision(engine)
        if revision is not None and revision not in revisions():
            raise StoreError(
                f"{_where(engine)}: revision {revision} is unknown to this version of roadmap (the newest it "
                f"knows is {head}); the database was written by a newer version: upgrade the tool"
            )
        if revision == head:
            click.echo(f"{_where(engine)}: revision {revision} (the newest)")
        else:
            click.echo(
                f"{_where(engine)}: revision {revision or 'none (empty)'}; the newest is {head}: "
                "run `roadmap db upgrade`"
            )
    finally:
        engine.dispose()
