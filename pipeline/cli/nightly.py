"""`roadmap nightly` (being built; see the open issues)."""

from __future__ import annotations

import click

from pipeline.errors import UsageError


@click.command("nightly")
def command() -> None:
    """Not built yet."""
    raise UsageError("'roadmap nightly' is not built yet")
