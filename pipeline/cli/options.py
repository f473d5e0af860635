"""Option groups shared by several commands (catalogue, database, output format)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

DEFAULT_CATALOGUE = "catalogue"


catalogue_option = click.option(
    "--catalogue",
    "catalogue_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: os.environ.get("ROADMAP_CATALOGUE", DEFAULT_CATALOGUE),
    metavar="DIR",
    help="The catalogue directory (roadmap.yaml, sections.yaml, config.yaml, resources/). "
    "Default: $ROADMAP_CATALOGUE, else catalogue/.",
)

# No default here: the flag wins, then the environment, then the file (store.location.resolve_database_url).
database_option = click.option(
    "--database",
    "database_url",
    metavar="URL",
    help="SQLAlchemy URL of the store, e.g. sqlite:///roadmap.db or postgresql://host/db. "
    "Default: $ROADMAP_DATABASE_URL, else roadmap.db beside the catalogue.",
)

allow_private_addresses_option = click.option(
    "--allow-private-addresses",
    is_flag=True,
    help="Let the crawler connect to loopback and private addresses (tests and local mirrors only; "
    "never in production).",
)


def format_option(*choices: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        return click.option(
            "--format",
            "output_format",
            type=click.Choice(choices),
            default=choices[0],
            show_default=True,
            help="How to print the result.",
        )(func)

    return decorate
