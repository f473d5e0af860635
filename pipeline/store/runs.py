"""Check runs as the check run (pipeline.checkrun) records them: start, results in batches, conclude.

Each batch of results is its own short transaction, so a run killed half-way keeps what it finished. Only
concluding a run as complete or interrupted moves the health summary (pipeline.store.health.apply_run),
in the same transaction that records the run's conclusion. Each batch is also folded as it is recorded
(pending_health), so that the conclusion copies rows instead of folding every result while the user
waits; every conclusion deletes those rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from pipeline.clock import utcnow
from pipeline.config import Config, RecheckConfig
from pipeline.errors import StoreError
from pipeline.status import LinkVerdict, Outcome, Suggestion
from pipeline.store import health
from pipeline.store.engine import write_transaction
from pipeline.store.health import (
    APPLIED_CONCLUSIONS,
    CATALOGUE_ORDER,
    COMPLETE,
    RUN_CONCLUSIONS,
    RunInfo,
    apply_run,
    drop_pending,
    resource_t,
    result_t,
    run_info_from_row,
    run_t,
    stage_results,
    status_counts,
)

TRIGGERS = ("manual", "nightly", "scheduled")
ABANDONED_NOTE = "left running by a process that stopped; its results are kept but not applied"


def abandon_stale_runs(engine: Engine) -> list[int]:
    """Mark every run still "running" as aborted (call while holding the run lock); returns their ids."""
    with write_transaction(engine) as connection:
        stale = list(connection.execute(select(run_t.c.id).where(run_t.c.outcome == "running")).scalars())
        now = utcnow()
        for run_id in stale:
            _conclude(connection, run_id, "aborted", now, ABANDONED_NOTE)
    return stale


def _conclude(
    connection: Connection, run_id: int, conclusion: str, finished_at: datetime, note: str | None
) -> None:
    """Record how a run ended: its conclusion, when, and its results per status as that conclusion shows
    them (status_counts), with the note."""
    counts = status_counts(connection, run_id, conclusion)
    drop_pending(connection, run_id)
    connection.execute(
        update(run_t)
        .where(run_t.c.id == run_id)
        .values(
            outcome=conclusion,
            finished_at=finished_at,
            checked=sum(counts.values()),
            counts=counts,
            note=note,
        )
    )


def start_run(engine: Engine, trigger: str, total: int, started_at: datetime | None = None) -> int:
    """Record a new run as "running" (started now, or at started_at: when its crawl began); returns its id.
    (Runs a killed process left "running" are aborted by whoever takes the run lock:
    pipeline.checkrun.locked_store.)"""
    if trigger not in TRIGGERS:
        raise ValueError(f"trigger must be one of {', '.join(TRIGGERS)}, not {trigger!r}")
    with write_transaction(engine) as connection:
        result = connection.execute(
            insert(run_t).values(
                started_at=started_at or utcnow(),
                trigger=trigger,
                outcome="running",
                total=total,
                checked=0,
                counts={},
            )
        )
        return int(result.inserted_primary_key[0])


def record_result(
    engine: Engine,
    run_id: int,
    resource_id: str,
    outcome: Outcome,
    checked_at: datetime | None = None,
    recheck: RecheckConfig | None = None,
) -> None:
    """Store one resource's verdict for a running run, in its own transaction (recheck: record_results)."""
    record_results(engine, run_id, [(resource_id, outcome, checked_at or utcnow(), ())], recheck)


def record_results(
    engine: Engine,
    run_id: int,
    results: Sequence[tuple[str, Outcome, datetime, Sequence[LinkVerdict]]],
    recheck: RecheckConfig | None = None,
) -> None:
    """Store a batch of verdicts (resource id, outcome, checked at, its secondary links' verdicts) for a
    running run, in one transaction: all of them or none.

    recheck: the run's own (finish_run's config.recheck): the batch is also folded into the summary it
    will give (pipeline.store.health.stage_results), so that concluding the run is quick; without it,
    the conclusion folds these results itself."""
    if not results:
        return
    rows = [
        {
            "run_id": run_id,
            "resource_id": resource_id,
            "checked_at": checked_at,
            **outcome.to_json(),  # the same field names as the check_result columns
            "links": [link.to_json() for link in links] or None,
        }
        for resource_id, outcome, checked_at, links in results
    ]
    which = ", ".join(resource_id for resource_id, *_ in results[:3]) + (
        f" and {len(results) - 3} more" if len(results) > 3 else ""
    )
    try:
        with write_transaction(engine) as connection:
            moved = connection.execute(
                update(run_t)
                .where(run_t.c.id == run_id, run_t.c.outcome == "running")
                .values(checked=run_t.c.checked + len(rows))
            )
            if moved.rowcount != 1:
                raise StoreError(f"run {run_id} is not running: cannot add a result for {which}")
            connection.execute(insert(result_t), rows)
            if recheck is not None:
                stage_results(connection, run_id, rows, recheck)
    except IntegrityError as error:
        raise StoreError(
            f"run {run_id}: cannot store the result for {which} (unknown resource, or already "
            f"checked in this run): {str(error.orig).splitlines()[0]}"
        ) from error


def record_list_links(engine: Engine, run_id: int, links: Sequence[Mapping[str, Any]]) -> None:
    """Store the verdicts on the links of the list's own text for a running run (check_run.links: each
    {"title", "section", "resource", **Outcome.to_json()}), in one transaction. An empty list is stored
    too: the run looked and the list's text has no link (any more)."""
    with write_transaction(engine) as connection:
        stored = connection.execute(
            update(run_t).where(run_t.c.id == run_id, run_t.c.outcome == "running").values(links=list(links))
        )
        if stored.rowcount != 1:
            raise StoreError(f"run {run_id} is not running: cannot add the links of the list's text")


def record_suggestions(engine: Engine, run_id: int, suggestions: Mapping[str, Suggestion]) -> None:
    """Attach checked repairs to this run's results of the dead links they repair, in one transaction."""
    if not suggestions:
        return
    with write_transaction(engine) as connection:
        for resource_id, suggestion in suggestions.items():
            connection.execute(
                update(result_t)
                .where(result_t.c.run_id == run_id, result_t.c.resource_id == resource_id)
                .values(suggestion=suggestion.to_json())
            )


def finish_run(
    engine: Engine, run_id: int, conclusion: str, config: Config, note: str | None = None
) -> RunInfo:
    """Conclude a running run. complete/interrupted also apply its results to the health summary and the
    checking schedule, in the same transaction; inconclusive/aborted keep the results and apply nothing.
    """
    if conclusion not in RUN_CONCLUSIONS:
        raise ValueError(f"conclusion must be one of {', '.join(RUN_CONCLUSIONS)}, not {conclusion!r}")
    with write_transaction(engine) as connection:
        row = connection.execute(select(run_t).where(run_t.c.id == run_id)).first()
        if row is None:
            raise StoreError(f"run {run_id} does not exist")
        if row.outcome != "running":
            raise StoreError(f"run {run_id} was already concluded as {row.outcome}")
        if conclusion in APPLIED_CONCLUSIONS:
            apply_run(connection, run_id, config.recheck, complete=conclusion == COMPLETE)
        _conclude(connection, run_id, conclusion, utcnow(), note)
        return run_info_from_row(connection.execute(select(run_t).where(run_t.c.id == run_id)).one())


def due_resources(engine: Engine, now: datetime | None = None) -> list[str]:
    """Active resources with a URL whose next check is due (never checked counts as due), in catalogue
    order (section order, then position, then id)."""
    now = now or utcnow()
    due = health.health_t.c.next_check_at
    query = (
        select(resource_t.c.id)
        .join(health.section_t, health.section_t.c.id == resource_t.c.section_id)
        .outerjoin(health.health_t, health.health_t.c.resource_id == resource_t.c.id)
        .where(
            resource_t.c.retired_at.is_(None),
            resource_t.c.url.is_not(None),
            or_(due.is_(None), due <= now),
        )
        .order_by(*CATALOGUE_ORDER)
    )
    with engine.connect() as connection:
        return list(connection.execute(query).scalars())
