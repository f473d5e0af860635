"""Read-side history queries: recent runs, one resource's checks, and its incidents.

    recent_runs(engine, limit)             -> [RunInfo], newest first (running ones included)
    resource_checks(engine, id, limit)     -> [CheckRecord], oldest first
    incidents(checks)                      -> [Incident]: from the first failure to the recovery
    window_details(engine, runs)           -> per resource: response times and failing results' evidence
    change_facts(engine, last_runs)        -> what the changelog is derived from

Pure over what the store recorded; `roadmap runs`, `roadmap history` and the status page read these.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from pipeline.status import FAILURES, HEALTHY, Evidence, Status, evidence_text, judged, shown_status
from pipeline.store.health import (
    APPLIED_CONCLUSIONS,
    CATALOGUE_ORDER,
    COMPLETE,
    RunInfo,
    concluded_runs,
    resource_t,
    result_t,
    run_info_from_row,
    run_t,
    section_t,
)
from pipeline.store.rows import from_row


@dataclass(frozen=True)
class CheckRecord:
    """One recorded check of one resource, with the conclusion of the run it belongs to."""

    run_id: int
    run_conclusion: str  # running | complete | interrupted | inconclusive | aborted
    checked_at: datetime
    url: str
    status: str
    http_status: int | None
    final_url: str | None
    elapsed_ms: int | None
    evidence: tuple[Evidence, ...]
    error_detail: str | None = None
    network_failure: bool = False  # failed below HTTP: a verdict only in a complete run

    @property
    def judged(self) -> bool:
        """Whether the result counts: only complete/interrupted runs move a resource's health, and a
        network-level failure only in a complete one (pipeline.status.judged)."""
        complete = self.run_conclusion == COMPLETE
        applied = self.run_conclusion in APPLIED_CONCLUSIONS
        return applied and judged(self.network_failure, run_complete=complete)

    @property
    def shown(self) -> str:
        """The status as every surface words it (pipeline.status.shown_status)."""
        return shown_status(self.status, self.network_failure, run_complete=self.run_conclusion == COMPLETE)

    @property
    def said(self) -> str:
        """The evidence in one line (the error's detail when there is no evidence)."""
        return evidence_text(self.evidence) or (self.error_detail or "")

    @property
    def evidence_text(self) -> str:
        """The HTTP status and the evidence in one line."""
        code = f"HTTP {self.http_status}" if self.http_status else ""
        return " — ".join(part for part in (code, self.said) if part)


@dataclass(frozen=True)
class Incident:
    """A stretch of failing checks: from the first failure to the first healthy check after it."""

    started_at: datetime
    started_run: int
    ended_at: datetime | None  # None: still failing
    ended_run: int | None
    status: str  # of the first failing check
    failures: int  # failing checks in the stretch
    evidence: str  # what the first failing check saw

    @property
    def ongoing(self) -> bool:
        return self.ended_at is None


def incidents(checks: Iterable[CheckRecord]) -> list[Incident]:
    """Incidents in checks (oldest first). Results of inconclusive or aborted runs are not judged, and
    blocked/skipped say nothing about the resource: neither starts nor ends an incident (as
    pipeline.store.health.advance treats them)."""
    found: list[Incident] = []
    opened: CheckRecord | None = None
    failures = 0
    for check in checks:
        if not check.judged:
            continue
        status = Status(check.status)
        if status in FAILURES:
            opened = opened or check
            failures += 1
        elif status in HEALTHY and opened is not None:
            found.append(_incident(opened, failures, check))
            opened, failures = None, 0
    if opened is not None:
        found.append(_incident(opened, failures, None))
    return found


def _incident(first: CheckRecord, failures: int, recovery: CheckRecord | None) -> Incident:
    return Incident(
        started_at=first.checked_at,
        started_run=first.run_id,
        ended_at=recovery.checked_at if recovery else None,
        ended_run=recovery.run_id if recovery else None,
        status=first.status,
        failures=failures,
        evidence=first.evidence_text,
    )


def recent_runs(engine: Engine, limit: int = 20) -> list[RunInfo]:
    """The newest `limit` runs, newest first, whatever their conclusion (a run still going included)."""
    with engine.connect() as connection:
        rows = connection.execute(select(run_t).order_by(run_t.c.id.desc()).limit(limit))
        return [run_info_from_row(row) for row in rows]


@dataclass(frozen=True)
class ResourceInfo:
    id: str
    title: str
    url: str | None
    section_id: str
    retired_at: datetime | None
    first_seen: datetime | None = None


def find_resource(engine: Engine, resource_id: str) -> ResourceInfo | None:
    """The resource as the store knows it (retired ones too: their history stays); None: unknown id."""
    columns = (resource_t.c.id, resource_t.c.title, resource_t.c.url, resource_t.c.section_id)
    with engine.connect() as connection:
        row = connection.execute(
            select(*columns, resource_t.c.retired_at).where(resource_t.c.id == resource_id)
        ).first()
    return None if row is None else ResourceInfo(row.id, row.title, row.url, row.section_id, row.retired_at)


# The result columns a CheckRecord is made of (after run_id and the run's conclusion).
_RECORD_COLUMNS = (
    result_t.c.checked_at,
    result_t.c.url,
    result_t.c.status,
    result_t.c.http_status,
    result_t.c.final_url,
    result_t.c.elapsed_ms,
    result_t.c.evidence,
    result_t.c.error_detail,
    result_t.c.network_failure,
)


def _record(r: Any, run_conclusion: str) -> CheckRecord:
    """A CheckRecord from a row holding run_id and the _RECORD_COLUMNS."""
    return from_row(
        CheckRecord,
        r,
        run_conclusion=run_conclusion,
        evidence=tuple(Evidence(**e) for e in (r.evidence or ())),
        network_failure=bool(r.network_failure),
    )


def resource_checks(engine: Engine, resource_id: str, limit: int | None = None) -> list[CheckRecord]:
    """The resource's recorded checks, oldest first; limit: only the newest `limit`."""
    query = (
        select(result_t.c.run_id, run_t.c.outcome, *_RECORD_COLUMNS)
        .join(run_t, run_t.c.id == result_t.c.run_id)
        .where(result_t.c.resource_id == resource_id)
        .order_by(result_t.c.checked_at.desc(), result_t.c.run_id.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [_record(r, r.outcome) for r in reversed(rows)]


@dataclass(frozen=True)
class WindowDetails:
    """What the status page needs beyond statuses, for the runs of its window."""

    elapsed_ms: dict[str, list[int | None]]  # resource id -> response time per run (None: no result)
    failing: dict[str, list[CheckRecord]]  # resource id -> its failing checks in the window, oldest first


def window_details(engine: Engine, runs: Sequence[RunInfo]) -> WindowDetails:
    """Response times of every result in `runs`, and the failing results with their evidence (loaded
    only for failures: JSON evidence for every result would dominate the report's time)."""
    column = {run.id: i for i, run in enumerate(runs)}
    outcome = {run.id: run.conclusion for run in runs}
    elapsed: dict[str, list[int | None]] = {}
    failing: dict[str, list[CheckRecord]] = {}
    if not runs:
        return WindowDetails(elapsed, failing)
    failure_values = [s.value for s in FAILURES]
    with engine.connect() as connection:
        for rid, run_id, ms in connection.execute(
            select(result_t.c.resource_id, result_t.c.run_id, result_t.c.elapsed_ms).where(
                result_t.c.run_id.in_(list(column))
            )
        ).all():  # .all(): one fetch, not one call per row
            elapsed.setdefault(rid, [None] * len(runs))[column[run_id]] = ms
        rows = connection.execute(
            select(result_t.c.resource_id, result_t.c.run_id, *_RECORD_COLUMNS)
            .where(result_t.c.run_id.in_(list(column)), result_t.c.status.in_(failure_values))
            .order_by(result_t.c.resource_id, result_t.c.run_id)
        )
        for r in rows:
            failing.setdefault(r.resource_id, []).append(_record(r, outcome[r.run_id]))
    return WindowDetails(elapsed, failing)


@dataclass(frozen=True)
class ChangeFacts:
    """The history a changelog is derived from."""

    runs: list[RunInfo]  # the newest `last_runs` conclusive runs, oldest first
    # resource id -> its results in those runs, oldest first: rows with run_id, status, url, http_status
    results: dict[str, list[Any]]
    resources: dict[str, ResourceInfo]  # every resource the store knows (retired ones too), catalogue order


def change_facts(engine: Engine, last_runs: int) -> ChangeFacts:
    with engine.connect() as connection:
        runs = concluded_runs(connection, APPLIED_CONCLUSIONS, last_runs)
        results: dict[str, list[Any]] = {}
        if runs:
            rows = connection.execute(
                select(
                    result_t.c.resource_id,
                    result_t.c.run_id,
                    result_t.c.status,
                    result_t.c.url,
                    result_t.c.http_status,
                )
                .where(result_t.c.run_id.in_([run.id for run in runs]))
                .order_by(result_t.c.run_id)  # the run_id index: each resource's results come in run order
            ).all()
            for row in rows:  # the rows themselves (named, tuple-like): no object made per result
                results.setdefault(row.resource_id, []).append(row)
        resources = {
            r.id: ResourceInfo(r.id, r.title, r.url, r.section_id, r.retired_at, r.first_seen)
            for r in connection.execute(
                select(
                    resource_t.c.id,
                    resource_t.c.title,
                    resource_t.c.url,
                    resource_t.c.section_id,
                    resource_t.c.retired_at,
                    resource_t.c.first_seen,
                )
                .join(section_t, section_t.c.id == resource_t.c.section_id)
                .order_by(*CATALOGUE_ORDER)
            )
        }
    return ChangeFacts(runs, results, resources)
