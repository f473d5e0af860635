"""Small spellings every command's output shares."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline.status import shown_status


def shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when it is below it."""
    try:
        return os.path.relpath(path) if Path(path).resolve().is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


def live_line(resource_id: str, outcome: Any) -> str:
    """A progress bar's latest result (check and nightly). The run has not concluded yet, so a failure at
    the network level may be an outage rather than the link: it reads NOT_JUDGED, never "broken"."""
    return f"{resource_id}: {shown_status(outcome.status, outcome.network_failure, run_complete=False)}"


def columns(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows (a header first) as aligned text columns; the last column runs free."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        "  ".join([*(f"{cell:<{widths[i]}}" for i, cell in enumerate(row[:-1])), row[-1]]).rstrip()
        for row in rows
    ]
