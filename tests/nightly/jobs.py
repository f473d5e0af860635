"""Job functions the scheduler tests persist by reference (the job store keeps "module:function")."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import CatalogueError


@dataclass(frozen=True)
class FakeResult:
    interrupted: bool = False
    headline: str = "fake"


def record_run(log: str, outcome: str = "ok") -> FakeResult:
    """Append one line per call to `log`, then behave as asked."""
    with Path(log).open("a") as file:
        file.write("run\n")
    if outcome == "invalid":
        raise CatalogueError("catalogue/resources/x.yaml:1:1: id: required")
    return FakeResult(interrupted=outcome == "interrupted")
