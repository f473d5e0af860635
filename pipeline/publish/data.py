"""The health data the exports and reports are built from, read once from the store.

Everything here comes from `pipeline.store.health`; templates never see the database.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pipeline.status import Status
from pipeline.store.health import APPLIED_CONCLUSIONS

HISTORY_RUNS = 30


@dataclass(frozen=True)
class HealthData:
    summaries: Mapping[str, Any]  # resource id -> pipeline.store.health.HealthSummary
    runs: Sequence[Any] = ()  # pipeline.store.health.RunInfo of the last runs, oldest first
    history: Mapping[str, Sequence[Status | str | None]] = field(
        default_factory=lambda: MappingProxyType({})
    )  # resource id -> status per run in `runs` (None: not checked in that run)
    details: Any = None  # pipeline.store.history.WindowDetails of `runs` (the status page); None: none read
    changes: Any = None  # pipeline.store.history.ChangeFacts (the changelog); None: none read
    # resource id -> its secondary links' health (pipeline.store.links.LinkHealth)
    links: Mapping[str, Sequence[Any]] = field(default_factory=lambda: MappingProxyType({}))
    # the links of the list's own text (pipeline.store.links.ListLinkHealth), in the list's order
    list_links: Sequence[Any] = ()

    @classmethod
    def from_engine(cls, engine: Any, window: int = HISTORY_RUNS, *, details: bool = False) -> HealthData:
        """details: also read response times, failing checks' evidence and the changelog's history (the
        reports need them, the exports do not)."""
        from pipeline.publish.changes import CHANGELOG_RUNS, WARM_UP_RUNS
        from pipeline.store import health
        from pipeline.store.history import change_facts, window_details
        from pipeline.store.links import link_health, list_link_health

        summaries = health.health_summaries(engine, window=window)
        runs, history = health.status_history(engine, last_runs=window)
        return cls(
            MappingProxyType(dict(summaries)),
            tuple(runs),
            MappingProxyType(dict(history)),
            window_details(engine, runs) if details else None,
            change_facts(engine, CHANGELOG_RUNS + WARM_UP_RUNS) if details else None,
            MappingProxyType(link_health(engine, window)),
            list_link_health(engine, window),
        )

    @property
    def latest_run(self) -> Any | None:
        return self.runs[-1] if self.runs else None

    def conclusive_runs(self) -> list[Any]:
        return [run for run in self.runs if run.conclusion in APPLIED_CONCLUSIONS]

    @property
    def recorded_at(self) -> datetime | None:
        """When the health data was recorded: the latest conclusive run's end. Never "now", so exporting
        twice without a new run gives the same bytes, and an inconclusive night changes no export."""
        finished = [run.finished_at for run in self.conclusive_runs() if run.finished_at is not None]
        return max(finished) if finished else None


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.removesuffix("Z"))
    except ValueError:
        return None


def summaries_from_export(document: Mapping[str, Any]) -> dict[str, Any]:
    """Health summaries as a published export (schema/export.schema.json) recorded them.

    Used when the store has no health at all (a fresh clone in CI, a runner whose cache is gone), so the
    export can be re-rendered from what was published instead of from nothing.
    """
    from pipeline.store.health import HealthSummary

    summaries: dict[str, Any] = {}
    for entry in document.get("resources") or ():
        health = entry.get("health") if isinstance(entry, Mapping) else None
        if not isinstance(health, Mapping) or health.get("status") not in {s.value for s in Status}:
            continue
        summaries[entry["id"]] = HealthSummary(
            resource_id=entry["id"],
            status=Status(health["status"]),
            checked_at=_parse_time(health.get("checked_at")),
            last_ok_at=_parse_time(health.get("last_ok_at")),
            failing_since=_parse_time(health.get("failing_since")),
            consecutive_failures=int(health.get("consecutive_failures") or 0),
            final_url=health.get("final_url"),
            http_status=health.get("http_status"),
            uptime=health.get("uptime"),
            seeded=True,
            repository=_repository_from_export(entry),
        )
    return summaries


def read_export(path: Path) -> tuple[Mapping[str, Any] | None, str]:
    """The published export document at `path`, or None and why not (missing, unreadable, not an export).
    The one reader of a published export: seeding a new database and re-exporting both come here."""
    if not path.is_file():
        return None, f"no published export at {path}"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return None, f"{path} is unreadable ({error})"
    if not isinstance(document, Mapping):
        return None, f"{path} is not an export document"
    return document, f"read {path}"


def _repository_from_export(entry: Mapping[str, Any]) -> Any | None:
    """A published resource's `repository` (schema 1.1.0) as the store's RepoFacts."""
    from pipeline.store.forges import RepoFacts

    repository = entry.get("repository")
    if not isinstance(repository, Mapping):
        return None
    answered_at = _parse_time(repository.get("checked_at"))
    if not isinstance(repository.get("name"), str) or answered_at is None:
        return None
    return RepoFacts(
        url=str(entry.get("url") or ""),
        forge=str(repository.get("forge") or ""),
        full_name=repository["name"],
        answer="exists",
        evidence="published in the export",
        answered_at=answered_at,
        canonical_url=repository.get("url"),
        archived=repository.get("archived"),
        pushed_at=_parse_time(repository.get("pushed_at")),
        last_release_at=_parse_time(repository.get("last_release_at")),
        stars=repository.get("stars"),
    )


def _with_published_repositories(summaries: Mapping[str, Any], document: Mapping[str, Any]) -> dict[str, Any]:
    """Summaries seeded from an export lack what the forges said: take it from the same export."""
    from dataclasses import replace

    published = {
        e["id"]: facts
        for e in document.get("resources") or ()
        if isinstance(e, Mapping) and (facts := _repository_from_export(e)) is not None
    }
    return {
        rid: replace(s, repository=published[rid])
        if getattr(s, "repository", None) is None and rid in published
        else s
        for rid, s in summaries.items()
    }


def health_for_export(data: HealthData, published: Path) -> tuple[Mapping[str, Any], datetime | None]:
    """The summaries and recorded time an export is built from.

    The store's, once it has recorded a conclusive run. Before that (a fresh clone in CI, a runner whose
    cached database is gone), the export already published at `published` is the best record there is:
    its health fills in when the store has none, and its time stands, so re-exporting changes nothing that
    did not change.
    """
    if data.recorded_at is not None:
        return data.summaries, data.recorded_at
    document, _why_not = read_export(published)
    if document is None:
        return data.summaries, data.recorded_at
    generated_at = _parse_time(document.get("generated_at"))
    if any(s.status is not None for s in data.summaries.values()):  # seeded from that export already
        return _with_published_repositories(data.summaries, document), generated_at
    return summaries_from_export(document), generated_at
