"""`roadmap validate` (being built; see the open issues)."""

from __future__ import annotations

import click

from pipeline.errors import UsageError


@click.command("validate")
def command() -> None:
    """Not built yet."""
    raise UsageError("'roadmap validate' is not built yet")
