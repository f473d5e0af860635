"""The health data the exports and reports are built from, read once from the store.

Everything here comes from `pipeline.store.health`; templates never see the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from pipeline.status import Status

CONCLUSIVE_OUTCOMES = frozenset({"complete", "partial"})
HISTORY_RUNS = 30


@dataclass(frozen=True)
class HealthData:
    summaries: Mapping[str, Any]  # resource id -> pipeline.store.health.HealthSummary
    runs: Sequence[Any] = ()  # pipeline.store.health.RunInfo of the last runs, oldest first
    history: Mapping[str, Sequence[Status | str | None]] = field(
        default_factory=lambda: MappingProxyType({})
    )  # resource id -> status per run in `runs` (None: not checked in that run)

    @classmethod
    def from_engine(cls, engine: Any, window: int = HISTORY_RUNS) -> HealthData:
        from pipeline.store import health

        summaries = health.health_summaries(engine, window=window)
        runs, history = health.status_history(engine, last_runs=window)
        return cls(MappingProxyType(dict(summaries)), tuple(runs), MappingProxyType(dict(history)))

    @property
    def latest_run(self) -> Any | None:
        return self.runs[-1] if self.runs else None

    def conclusive_runs(self) -> list[Any]:
        return [run for run in self.runs if run.outcome in CONCLUSIVE_OUTCOMES]

    @property
    def recorded_at(self) -> datetime | None:
        """When the health data was recorded: the latest conclusive run's end. Never "now", so exporting
        twice without a new run gives the same bytes, and an inconclusive night changes no export."""
        finished = [run.finished_at for run in self.conclusive_runs() if run.finished_at is not None]
        return max(finished) if finished else None
