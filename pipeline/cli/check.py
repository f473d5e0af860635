"""`roadmap check` (being built; see the open issues)."""

from __future__ import annotations

import click

from pipeline.errors import UsageError


@click.command("check")
def command() -> None:
    """Not built yet."""
    raise UsageError("'roadmap check' is not built yet")
