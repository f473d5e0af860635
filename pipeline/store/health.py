"""The health summary: what each resource's results add up to, and the read-side queries reports use.

check_result is the source of truth. resource_health is derived from it, one row per resource, applied when
a run concludes (pipeline.store.runs.finish_run) by the pure `advance` below; `rebuild_health` replays every
applied result through the same function and must arrive at the same rows. A check folds each batch of its
results as it records them (`stage_results`, into pending_health), so that its conclusion only copies rows.

Which results count: only those of runs concluded as complete or interrupted ("applied" runs). An inconclusive
run (the network was down) or an aborted one keeps its results for history but changes no health.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlmodel
from sqlalchemy import Engine, and_, case, delete, exists, false, func, insert, null, or_, select
from sqlmodel import Session

from pipeline.clock import isoformat
from pipeline.config import Config, RecheckConfig
from pipeline.health import HealthSummary
from pipeline.status import HEALTHY, INCONCLUSIVE, Evidence, Hop, Status, Suggestion, judged, shown_status
from pipeline.store.bulk import insert_many, update_many
from pipeline.store.engine import write_transaction
from pipeline.store.forges import repo_facts_by_resource
from pipeline.store.models import (
    CheckResult,
    CheckRun,
    PendingHealth,
    ResourceHealth,
    ResourceRow,
    SectionRow,
)
from pipeline.store.rows import from_row
from pipeline.store.summary import HealthState, ResultFact, advance, next_check_at

# A run's conclusion (stored in check_run.outcome; a URL's verdict is an Outcome, pipeline.status).
COMPLETE = "complete"  # the only conclusion whose network-level failures are verdicts (status.judged)
APPLIED_CONCLUSIONS = ("complete", "interrupted")  # runs whose results move the health summary
RUN_CONCLUSIONS = ("complete", "interrupted", "inconclusive", "aborted")  # how a run can conclude

run_t = CheckRun.__table__
result_t = CheckResult.__table__
health_t = ResourceHealth.__table__
pending_t = PendingHealth.__table__
resource_t = ResourceRow.__table__
section_t = SectionRow.__table__
# Catalogue (reading) order: section order, then position inside it, then id.
CATALOGUE_ORDER = (section_t.c.position, section_t.c.id, resource_t.c.position, resource_t.c.id)


@dataclass(frozen=True)
class RunInfo:
    id: int
    started_at: datetime
    finished_at: datetime | None
    trigger: str  # manual | nightly | scheduled
    conclusion: str  # running | complete | interrupted | inconclusive | aborted (the column `outcome`)
    total: int  # resources planned
    checked: int  # results written
    counts: dict[str, int]  # results per status value
    note: str | None

    def to_json(self) -> dict[str, Any]:
        """The run as every JSON output shows it (check, nightly, runs, reports/health.json)."""
        return {
            "id": self.id,
            "started_at": isoformat(self.started_at),
            "finished_at": isoformat(self.finished_at),
            "trigger": self.trigger,
            "outcome": self.conclusion,
            "total": self.total,
            "checked": self.checked,
            "counts": dict(sorted((self.counts or {}).items())),
            "note": self.note,
        }


# The columns of a check result the summary reads (ResultFact), as apply_run and rebuild_health select them.
_FACT_COLUMNS = (
    result_t.c.resource_id.label("rid"),
    result_t.c.run_id,
    result_t.c.status,
    result_t.c.checked_at,
    result_t.c.final_url,
    result_t.c.http_status,
)


def _fact(row: Any) -> ResultFact:
    return ResultFact(row.run_id, row.status, row.checked_at, row.final_url, row.http_status)


def _state_from_row(row: Any) -> HealthState:
    return HealthState._make(getattr(row, name) for name in HealthState._fields)


def _state_values(resource_id: str, state: HealthState, due: datetime) -> dict[str, Any]:
    """A resource_health row: the state's fields are its columns, of our own results (not seeded)."""
    return {
        "resource_id": resource_id,
        **state._asdict(),
        "seeded": False,
        "seeded_uptime": None,
        "next_check_at": due,
    }


APPLY_CHUNK = 2000  # results folded per step: a run of 100,000 results never holds them all at once


def apply_run(connection: Any, run_id: int, recheck: RecheckConfig, *, complete: bool = True) -> int:
    """Fold one run's results into resource_health (summary and next check); the caller's transaction.

    complete: False for an interrupted run, whose network-level failures are not judged (they are kept
    as history; the resource stays as it was and due).
    The results folded while they were recorded (stage_results) are copied in a few statements, unless
    what their fold read has moved since; those and the results never folded are folded here, read
    APPLY_CHUNK at a time in resource id order (the run's unique index), so memory stays flat however
    large the run. The run's pending rows stay (the conclusion deletes them: pipeline.store.runs).
    Returns the number of resources updated.
    """
    _drop_stale(connection, run_id)
    updated, after = 0, None
    while True:
        query = select(*_FACT_COLUMNS, result_t.c.network_failure).where(
            result_t.c.run_id == run_id, ~_staged(result_t.c.resource_id, run_id)
        )
        if after is not None:
            query = query.where(result_t.c.resource_id > after)
        rows = connection.execute(query.order_by(result_t.c.resource_id).limit(APPLY_CHUNK)).all()
        if not rows:
            break
        after = rows[-1].rid
        judged_rows = [r for r in rows if judged(bool(r.network_failure), run_complete=complete)]
        updated += _apply_results(connection, run_id, judged_rows, recheck)
    return updated + _copy_staged(connection, run_id, complete)


def stage_results(
    connection: Any, run_id: int, rows: Sequence[dict[str, Any]], recheck: RecheckConfig
) -> None:
    """Fold a batch of a running run's results (check_result rows as recorded, in the same transaction)
    ahead of its conclusion: pending_health gets the summary and next check each gives, and what the fold
    read. A resource a newer run already concluded gets none (apply_run leaves it as it is)."""
    facts = [
        (
            row["resource_id"],
            ResultFact(run_id, row["status"], row["checked_at"], row["final_url"], row["http_status"]),
        )
        for row in rows
    ]
    network = {row["resource_id"]: bool(row["network_failure"]) for row in rows}
    staged = []
    for rid, row, state, due in _folds(connection, run_id, facts, recheck):
        staged.append(
            {
                "run_id": run_id,
                "resource_id": rid,
                "network_failure": network[rid],
                "base_run_id": row.last_run_id if row is not None else None,
                "base_checked_at": row.checked_at if row is not None else None,
                "base_seeded": row.seeded if row is not None else None,
                "base_next_check_at": row.next_check_at if row is not None else None,
                **{name: getattr(state, name) for name in _STAGED_STATE},
                "next_check_at": due,
            }
        )
    insert_many(connection, pending_t, staged)


# The summary's columns a pending row holds as they are (last_run_id is the run's own id).
_STAGED_STATE = tuple(name for name in HealthState._fields if name != "last_run_id")


def _staged(resource_id: Any, run_id: int) -> Any:
    """SQL: the run has a pending row for this resource."""
    staged = pending_t.alias("staged")
    return exists().where(staged.c.run_id == run_id, staged.c.resource_id == resource_id)


def _drop_stale(connection: Any, run_id: int) -> None:
    """Delete the run's pending rows whose fold read a summary or schedule that has moved since."""
    p = pending_t.alias("p")
    moved = (
        select(p.c.resource_id)
        .select_from(p.outerjoin(health_t, health_t.c.resource_id == p.c.resource_id))
        .where(
            p.c.run_id == run_id,
            or_(
                health_t.c.last_run_id.is_distinct_from(p.c.base_run_id),
                health_t.c.checked_at.is_distinct_from(p.c.base_checked_at),
                health_t.c.seeded.is_distinct_from(p.c.base_seeded),
                health_t.c.next_check_at.is_distinct_from(p.c.base_next_check_at),
            ),
        )
    )
    connection.execute(
        delete(pending_t).where(pending_t.c.run_id == run_id, pending_t.c.resource_id.in_(moved))
    )


def _copy_staged(connection: Any, run_id: int, complete: bool) -> int:
    """Copy the run's pending rows (all but network failures when it was interrupted) into resource_health
    (summary and next check); returns how many."""
    p = pending_t
    chosen = [p.c.run_id == run_id] + ([] if complete else [p.c.network_failure.is_(False)])
    ids = select(p.c.resource_id).where(*chosen)
    connection.execute(delete(health_t).where(health_t.c.resource_id.in_(ids)))
    columns = ["resource_id", *_STAGED_STATE, "last_run_id", "seeded", "seeded_uptime", "next_check_at"]
    values = [
        p.c.resource_id,
        *(p.c[name] for name in _STAGED_STATE),
        p.c.run_id,
        false(),
        null(),
        p.c.next_check_at,
    ]
    return connection.execute(insert(health_t).from_select(columns, select(*values).where(*chosen))).rowcount


def drop_pending(connection: Any, run_id: int) -> None:
    """A run concluded: its pending rows go, applied or not."""
    connection.execute(delete(pending_t).where(pending_t.c.run_id == run_id))


def _folds(
    connection: Any, run_id: int, facts: Sequence[tuple[str, ResultFact]], recheck: RecheckConfig
) -> Iterator[tuple[str, Any, HealthState, datetime]]:
    """(resource id, its summary row or None, its new state, its next check) for each result, from the
    summary as it stands; a resource a newer run already concluded is left out: a summary never moves
    backwards."""
    current = {
        row.resource_id: row
        for row in connection.execute(
            select(health_t).where(health_t.c.resource_id.in_([rid for rid, _ in facts]))
        )
    }
    for rid, fact in facts:
        row = current.get(rid)
        if row is not None and row.last_run_id is not None and row.last_run_id > run_id:
            continue
        state = advance(_state_from_row(row) if row is not None else None, fact)
        due = next_check_at(
            row.checked_at if row is not None else None,
            row.next_check_at if row is not None else None,
            fact,
            recheck,
        )
        yield rid, row, state, due


def _apply_results(connection: Any, run_id: int, results: list[Any], recheck: RecheckConfig) -> int:
    if not results:
        return 0
    updates, inserts = [], []
    for rid, row, state, due in _folds(connection, run_id, [(r.rid, _fact(r)) for r in results], recheck):
        (updates if row is not None else inserts).append(_state_values(rid, state, due))
    insert_many(connection, health_t, inserts)
    update_many(connection, health_t, "resource_id", updates)
    return len(updates) + len(inserts)


def rebuild_health(engine: Engine, config: Config) -> None:
    """Recompute resource_health (summaries and next checks) from every applied result, in one transaction.

    A seeded row (from a published export) stays only while the resource has no applied result of ours:
    once it has, the summary is what our own results say.
    """
    with write_transaction(engine) as connection:
        rows = connection.execute(
            select(*_FACT_COLUMNS)
            .join(run_t, run_t.c.id == result_t.c.run_id)
            .where(run_t.c.outcome.in_(APPLIED_CONCLUSIONS), _judged_result(run_t.c.outcome))
            .order_by(result_t.c.resource_id, result_t.c.run_id)
        )
        states: dict[str, HealthState] = {}
        due: dict[str, datetime] = {}
        for r in rows:
            fact = _fact(r)
            previous = states.get(r.rid)
            due[r.rid] = next_check_at(
                previous.checked_at if previous else None, due.get(r.rid), fact, config.recheck
            )
            states[r.rid] = advance(previous, fact)
        connection.execute(delete(health_t).where(health_t.c.seeded.is_(False)))
        if states:
            connection.execute(delete(health_t).where(health_t.c.resource_id.in_(list(states))))
            insert_many(connection, health_t, [_state_values(rid, s, due[rid]) for rid, s in states.items()])


def seed_health(engine: Engine, summaries: Iterable[HealthSummary]) -> int:
    """Restore summaries from a published export after the database was lost; returns how many.

    Only resources the store knows and has no health for are seeded: our own results always win.
    """
    with write_transaction(engine) as connection:
        known = set(connection.execute(select(resource_t.c.id)).scalars())
        have = set(connection.execute(select(health_t.c.resource_id)).scalars())
        rows = []
        for s in summaries:
            if s.status is None or s.checked_at is None:
                continue
            if s.resource_id not in known or s.resource_id in have:
                continue
            have.add(s.resource_id)
            rows.append(
                {
                    "resource_id": s.resource_id,
                    "status": Status(s.status).value,
                    "checked_at": s.checked_at,
                    "last_ok_at": s.last_ok_at,
                    "failing_since": s.failing_since,
                    "consecutive_failures": s.consecutive_failures,
                    "final_url": s.final_url,
                    "http_status": s.http_status,
                    "last_run_id": None,
                    "seeded": True,
                    "seeded_uptime": s.uptime,
                    "next_check_at": None,  # due now
                }
            )
        insert_many(connection, health_t, rows)
        return len(rows)


def _judged_result(conclusion: Any, result: Any = result_t) -> Any:
    """SQL for pipeline.status.judged: a network-level failure counts only in a complete run."""
    return or_(conclusion == COMPLETE, result.c.network_failure.is_(False))


def _uptime_column(window: int) -> Any:
    """Per outer resource row: the healthy share of its last `window` conclusive, applied results.

    A correlated subquery walking the (resource_id, checked_at) index, LIMIT `window`: about twice as
    fast on SQLite as ranking every result with ROW_NUMBER(), and portable (AVG of 0/1).
    """
    recent = result_t.alias("recent")
    healthy = case((recent.c.status.in_([s.value for s in HEALTHY]), 1), else_=0)
    applied_runs = select(run_t.c.id).where(run_t.c.outcome.in_(APPLIED_CONCLUSIONS))
    complete_runs = select(run_t.c.id).where(run_t.c.outcome == COMPLETE)
    last = (
        select(healthy.label("healthy"))
        .where(
            recent.c.resource_id == resource_t.c.id,
            recent.c.status.not_in([s.value for s in INCONCLUSIVE]),
            recent.c.run_id.in_(applied_runs),
            or_(recent.c.network_failure.is_(False), recent.c.run_id.in_(complete_runs)),
        )
        .order_by(recent.c.checked_at.desc(), recent.c.run_id.desc())
        .limit(window)
        .correlate(resource_t)
        .subquery()
    )
    return select(func.avg(last.c.healthy)).scalar_subquery()


def health_summaries(engine: Engine, window: int = 30) -> dict[str, HealthSummary]:
    """The summary of every active resource (never-checked ones too), keyed by id, in catalogue order."""
    latest = result_t.alias("latest")
    query = (
        select(
            resource_t.c.id,
            health_t.c.status,
            health_t.c.checked_at,
            health_t.c.last_ok_at,
            health_t.c.failing_since,
            health_t.c.consecutive_failures,
            health_t.c.final_url,
            health_t.c.http_status,
            health_t.c.seeded,
            health_t.c.seeded_uptime,
            latest.c.evidence,
            latest.c.redirect_chain,
            latest.c.suggestion,
            _uptime_column(window).label("uptime"),
        )
        .select_from(resource_t)
        .join(section_t, section_t.c.id == resource_t.c.section_id)
        .outerjoin(health_t, health_t.c.resource_id == resource_t.c.id)
        .outerjoin(
            latest, and_(latest.c.run_id == health_t.c.last_run_id, latest.c.resource_id == resource_t.c.id)
        )
        .where(resource_t.c.retired_at.is_(None))
        .order_by(*CATALOGUE_ORDER)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    repositories = repo_facts_by_resource(engine)
    summaries: dict[str, HealthSummary] = {}
    for r in rows:
        uptime = float(r.uptime) if r.uptime is not None else None
        if uptime is None and r.seeded:
            uptime = r.seeded_uptime
        summaries[r.id] = from_row(
            HealthSummary,
            r,
            resource_id=r.id,
            status=Status(r.status) if r.status is not None else None,
            consecutive_failures=r.consecutive_failures or 0,
            uptime=uptime,
            evidence=tuple(Evidence(**e) for e in (r.evidence or ())),
            redirect_chain=tuple(Hop(**h) for h in (r.redirect_chain or ())),
            seeded=bool(r.seeded),
            repository=repositories.get(r.id),
            suggestion=Suggestion.from_json(r.suggestion),
        )
    return summaries


def run_info_from_row(row: Any) -> RunInfo:
    return from_row(RunInfo, row, conclusion=row.outcome, counts=dict(row.counts or {}))


def latest_runs(engine: Engine, n: int = 2, conclusive_only: bool = True) -> list[RunInfo]:
    """The newest n runs, newest first; conclusive_only: only those concluded complete or interrupted."""
    query = select(run_t).order_by(run_t.c.id.desc()).limit(n)
    if conclusive_only:
        query = query.where(run_t.c.outcome.in_(APPLIED_CONCLUSIONS))
    with engine.connect() as connection:
        return [run_info_from_row(row) for row in connection.execute(query)]


def concluded_runs(connection: Any, conclusions: Sequence[str], n: int) -> list[RunInfo]:
    """The newest n runs concluded in one of `conclusions`, oldest first."""
    query = select(run_t).where(run_t.c.outcome.in_(conclusions)).order_by(run_t.c.id.desc()).limit(n)
    return [run_info_from_row(row) for row in connection.execute(query)][::-1]


def status_history(
    engine: Engine, last_runs: int = 30, *, conclusive_only: bool = False
) -> tuple[list[RunInfo], dict[str, list[str | None]]]:
    """The last concluded runs (oldest first; not those still running) and each active resource's
    status in each of them (None: not checked in that run; pipeline.status.NOT_JUDGED: a network-level
    failure in a run that did not complete). conclusive_only: complete/interrupted runs only.
    """
    conclusions = APPLIED_CONCLUSIONS if conclusive_only else RUN_CONCLUSIONS
    with engine.connect() as connection:
        runs = concluded_runs(connection, conclusions, last_runs)
        column = {run.id: i for i, run in enumerate(runs)}
        active = connection.execute(
            select(resource_t.c.id)
            .join(section_t, section_t.c.id == resource_t.c.section_id)
            .where(resource_t.c.retired_at.is_(None))
            .order_by(*CATALOGUE_ORDER)
        ).scalars()
        history: dict[str, list[str | None]] = {rid: [None] * len(runs) for rid in active}
        if runs:
            rows = connection.execute(
                select(
                    result_t.c.resource_id, result_t.c.run_id, result_t.c.status, result_t.c.network_failure
                ).where(result_t.c.run_id.in_(list(column)))
            )
            complete = {run.id for run in runs if run.conclusion == COMPLETE}
            for rid, run_id, status, network_failure in rows:
                if rid in history:
                    history[rid][column[run_id]] = shown_status(
                        status, bool(network_failure), run_complete=run_id in complete
                    )
    return runs, history


def run_results(engine: Engine, run_id: int) -> dict[str, CheckResult]:
    """Every result of one run, keyed by resource id (detached rows: read them, don't write them)."""
    with Session(engine, expire_on_commit=False) as session:
        rows = session.exec(sqlmodel.select(CheckResult).where(CheckResult.run_id == run_id)).all()
        return {row.resource_id: row for row in rows}


def status_counts(connection: Any, run_id: int, conclusion: str) -> dict[str, int]:
    """A run's results per shown status (pipeline.status.tally): network-level failures of a run that did
    not conclude complete count as NOT_JUDGED, never as a failing status."""
    query = (
        select(result_t.c.status, result_t.c.network_failure, func.count())
        .where(result_t.c.run_id == run_id)
        .group_by(result_t.c.status, result_t.c.network_failure)
    )
    counts: dict[str, int] = {}
    for status, network_failure, n in connection.execute(query).all():
        key = shown_status(status, bool(network_failure), run_complete=conclusion == COMPLETE)
        counts[key] = counts.get(key, 0) + n
    return dict(sorted(counts.items()))
