"""`roadmap fix` (being built; see the open issues)."""

from __future__ import annotations

import click

from pipeline.errors import UsageError


@click.command("fix")
def command() -> None:
    """Not built yet."""
    raise UsageError("'roadmap fix' is not built yet")
