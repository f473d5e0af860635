"""`roadmap sync` (being built; see the open issues)."""

from __future__ import annotations

import click

from pipeline.errors import UsageError


@click.command("sync")
def command() -> None:
    """Not built yet."""
    raise UsageError("'roadmap sync' is not built yet")
