"""`roadmap db` (being built; see the open issues)."""

from __future__ import annotations

import click

from pipeline.errors import UsageError


@click.command("db")
def command() -> None:
    """Not built yet."""
    raise UsageError("'roadmap db' is not built yet")
