"""`roadmap report` (being built; see the open issues)."""

from __future__ import annotations

import click

from pipeline.errors import UsageError


@click.command("report")
def command() -> None:
    """Not built yet."""
    raise UsageError("'roadmap report' is not built yet")
