"""`roadmap schedule`: APScheduler wiring only. The job is the same `pipeline.nightly.run_nightly` the
`roadmap nightly` command calls, with trigger "scheduled".

Choices, and why:
- BlockingScheduler with the DebugExecutor: the job runs in the main thread, one at a time. SIGINT/SIGTERM
  handlers (pipeline.signals, shared with the nightly job and the check run) work only in the main
  thread, so a stop request during a run ends it cleanly (results kept, run interrupted) before we exit.
  max_instances=1 and the run lock say "never two runs" a second and third time.
- Jobs persisted in the same database (SQLAlchemyJobStore on the store's engine; the table is created by
  the alembic migrations like every other table), under a stable id with replace_existing, so restarts
  never duplicate the job.
- A missed night: on start, a persisted next-run time already in the past is kept (replacing the job
  would otherwise recompute it from now and silently drop the missed run), so the scheduler runs it once
  (coalesce=True) if it is within misfire_grace_time, and reports it missed otherwise.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    EVENT_SCHEDULER_STARTED,
    JobExecutionEvent,
    SchedulerEvent,
)
from apscheduler.executors.debug import DebugExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine, select

from pipeline.config import ScheduleConfig
from pipeline.errors import ConfigError
from pipeline.signals import stop_on_signals

log = logging.getLogger("pipeline.schedule")

JOB_ID = "roadmap-nightly"  # stable: a restart replaces the job instead of adding a second one
JOB_FUNC = "pipeline.schedule:scheduled_nightly"  # by reference: the job is stored in the database
JOBS_TABLE = "apscheduler_jobs"  # created by migrations/versions/0003_scheduler_jobs.py


@dataclass(frozen=True)
class ScheduleReport:
    """How a `roadmap schedule` process ended."""

    runs: int  # job executions (successful or not)
    failed: int  # executions that raised (an invalid catalogue, a held lock, ...)
    missed: int  # runs skipped because they were later than the grace period
    stopped_by: str  # "signal SIGTERM", "run interrupted", "shutdown"


def make_trigger(schedule: ScheduleConfig) -> CronTrigger:
    """The cron trigger from catalogue/config.yaml's `schedule`."""
    try:
        zone = ZoneInfo(schedule.timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ConfigError(
            f"schedule.timezone: {schedule.timezone!r} is not a known time zone — use an IANA name such "
            f"as 'UTC' or 'Europe/Paris' ({error})"
        ) from error
    try:
        return CronTrigger.from_crontab(schedule.cron, timezone=zone)
    except ValueError as error:
        raise ConfigError(
            f"schedule.cron: {schedule.cron!r} is not a cron expression of five fields "
            f"(minute hour day month weekday), e.g. '0 3 * * *' ({error})"
        ) from error


def scheduled_nightly(
    catalogue_dir: str, database_url: str | None, allow_private_addresses: bool = False
) -> Any:
    """The scheduled job: one nightly run (imported lazily; the job store pickles only this name)."""
    from pipeline.nightly import NightlyRequest, run_nightly

    result = run_nightly(
        NightlyRequest(
            catalogue_dir=Path(catalogue_dir),
            database_url=database_url,
            trigger="scheduled",
            allow_private_addresses=allow_private_addresses,
        )
    )
    log.info("nightly run finished (exit %s): %s", result.exit_code, result.headline)
    return result


def persisted_next_run(engine: Engine, job_id: str = JOB_ID) -> datetime | None:
    """The next-run time stored for our job (None: no job stored yet, or paused)."""
    from sqlalchemy import Column as SAColumn
    from sqlalchemy import Float, MetaData, Table, Unicode

    table = Table(JOBS_TABLE, MetaData(), SAColumn("id", Unicode(191)), SAColumn("next_run_time", Float(25)))
    with engine.connect() as connection:
        timestamp = connection.execute(select(table.c.next_run_time).where(table.c.id == job_id)).scalar()
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC)


class _NightlyScheduler(BlockingScheduler):
    """A BlockingScheduler that a job event can ask to stop once the current round of jobs is done.

    Shutting down from inside a job event would tear the job stores down while the scheduler is still
    updating them; after `_process_jobs` returns, nothing holds them. (`_process_jobs` is internal to
    APScheduler, but stable across the 3.x line we pin; tests/nightly/test_schedule.py covers it.)
    """

    stop_after_round: bool = False

    def _process_jobs(self) -> float | None:
        wait_seconds = super()._process_jobs()
        if self.stop_after_round and self.state != STATE_STOPPED:
            self.shutdown(wait=False)
        return wait_seconds


@contextmanager
def _stop_on_signals(scheduler: _NightlyScheduler, on_signal: Callable[[str], None]) -> Iterator[None]:
    """SIGINT/SIGTERM: stop after the current round (pipeline.signals; a run in progress hears the same
    request and stops cleanly, results kept, run interrupted). The listener only sets a flag and wakes the
    scheduler from a helper thread: setting the scheduler's Event from the signal handler itself could
    deadlock on the Event's lock if the signal lands while the main thread holds it."""

    def listener(name: str) -> None:
        on_signal(name)
        scheduler.stop_after_round = True
        threading.Thread(target=_wake, args=(scheduler,), name="schedule-stop", daemon=True).start()

    with stop_on_signals() as stop, stop.listen(listener):
        yield


def _wake(scheduler: _NightlyScheduler) -> None:
    with suppress(AttributeError):  # not started yet: start() itself wakes it and sees the flag
        scheduler.wakeup()


def run_schedule(
    engine: Engine,
    schedule: ScheduleConfig,
    job_kwargs: dict[str, Any],
    *,
    trigger: BaseTrigger | None = None,
    job_func: str = JOB_FUNC,
    on_started: Callable[[BlockingScheduler], None] | None = None,
) -> ScheduleReport:
    """Run the scheduler until SIGTERM/SIGINT (or a run that was itself interrupted by one).

    engine: the store, already migrated (its apscheduler_jobs table exists). job_kwargs: what the job
    function receives (catalogue_dir, database_url). trigger and job_func are for tests; by default the
    cron trigger from `schedule` and `scheduled_nightly`. on_started is called once the job is in place.
    """
    # The start-up line shows the schedule as written ("0 3 * * * UTC"), not the trigger's repr.
    shown = str(trigger) if trigger is not None else f"{schedule.cron} {schedule.timezone}"
    trigger = trigger or make_trigger(schedule)
    zone = getattr(trigger, "timezone", None) or UTC
    scheduler = _NightlyScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)},
        executors={"default": DebugExecutor()},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": schedule.misfire_grace_s,
        },
        timezone=zone,
    )
    tally = {"runs": 0, "failed": 0, "missed": 0}
    stopped_by = ["shutdown"]

    def stop_after_round(reason: str) -> None:
        stopped_by[0] = reason
        scheduler.stop_after_round = True

    def next_run_line(*, after_run: bool) -> str:
        now = datetime.now(zone)
        if after_run:
            # Inside a job event the store still holds the time that just fired: ask the trigger.
            when = trigger.get_next_fire_time(None, now)
        else:
            when = getattr(scheduler.get_job(JOB_ID), "next_run_time", None)
            if when is not None and when <= now:
                return f"next run now (it was due at {when.isoformat()})"
        return f"next run at {when.isoformat()}" if when else "no further run (the trigger has no next time)"

    def on_event(event: SchedulerEvent) -> None:
        if event.code == EVENT_SCHEDULER_STARTED:
            log.info("scheduler started (job %s, %s); %s", JOB_ID, shown, next_run_line(after_run=False))
            if on_started is not None:
                on_started(scheduler)
            return
        assert isinstance(event, JobExecutionEvent)
        if event.code == EVENT_JOB_MISSED:
            tally["missed"] += 1
            log.warning(
                "missed the run due at %s: more than %ss late (misfire_grace_s); %s",
                event.scheduled_run_time.isoformat(),
                schedule.misfire_grace_s,
                next_run_line(after_run=True),
            )
            return
        tally["runs"] += 1
        if event.code == EVENT_JOB_ERROR:
            tally["failed"] += 1
            log.error("nightly run failed: %s", event.exception)
        if getattr(event.retval, "interrupted", False) or isinstance(event.exception, KeyboardInterrupt):
            log.info("the run was stopped by a signal: shutting down")
            stop_after_round("run interrupted")
            return
        log.info(next_run_line(after_run=True))

    scheduler.add_listener(
        on_event, EVENT_SCHEDULER_STARTED | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED
    )

    # Keep a missed run: a persisted next-run time in the past survives the replacement below.
    missed_at = persisted_next_run(engine)
    extra: dict[str, Any] = {}
    if missed_at is not None and missed_at <= datetime.now(UTC):
        extra["next_run_time"] = missed_at
        log.info("a run was due at %s while the scheduler was down", missed_at.isoformat())
    scheduler.add_job(
        job_func,
        trigger=trigger,
        id=JOB_ID,
        name="roadmap nightly",
        kwargs=job_kwargs,
        replace_existing=True,
        **extra,
    )

    def on_signal(name: str) -> None:
        stopped_by[0] = f"signal {name}"
        log.info("received %s: shutting down", name)

    try:
        with _stop_on_signals(scheduler, on_signal):
            scheduler.start()  # blocks until shutdown
    finally:
        if scheduler.state != STATE_STOPPED:
            scheduler.shutdown(wait=False)
    log.info("scheduler stopped (%s)", stopped_by[0])
    return ScheduleReport(stopped_by=stopped_by[0], **tally)
