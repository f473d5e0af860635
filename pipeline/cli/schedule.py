"""`roadmap schedule` (being built; see the open issues)."""

from __future__ import annotations

import click

from pipeline.errors import UsageError


@click.command("schedule")
def command() -> None:
    """Not built yet."""
    raise UsageError("'roadmap schedule' is not built yet")
