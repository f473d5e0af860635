"""`roadmap export` (being built; see the open issues)."""

from __future__ import annotations

import click

from pipeline.errors import UsageError


@click.command("export")
def command() -> None:
    """Not built yet."""
    raise UsageError("'roadmap export' is not built yet")
