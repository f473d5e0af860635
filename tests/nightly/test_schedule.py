"""`roadmap schedule` wiring: a real APScheduler with its jobs in a real migrated SQLite store.

Time is controlled (time-machine) or the trigger fires at once; every wait is a bounded event wait.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import STATE_STOPPED, BaseScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import Engine, func, select

from pipeline.config import ScheduleConfig
from pipeline.errors import ConfigError
from pipeline.schedule import JOB_ID, ScheduleReport, make_trigger, persisted_next_run, run_schedule
from pipeline.store.models import scheduler_jobs_t

RECORD = "tests.nightly.jobs:record_run"
BOUND_S = 15  # no event takes this long unless something is broken


def run_until(
    engine: Engine,
    schedule: ScheduleConfig,
    kwargs: dict[str, Any],
    *,
    events: int = EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED,
    trigger: Any = None,
    then: Callable[[BaseScheduler], None] | None = None,
) -> ScheduleReport:
    """Run the scheduler in this (main) thread until the first of `events`, then shut it down from another
    thread, as an operator would; give up after BOUND_S."""
    seen = threading.Event()

    def started(scheduler: BaseScheduler) -> None:
        if events:
            scheduler.add_listener(lambda _event: seen.set(), events)
        else:
            seen.set()

        def guard() -> None:
            seen.wait(BOUND_S)
            if then is not None:
                then(scheduler)
            elif scheduler.state != STATE_STOPPED:
                scheduler.shutdown()

        threading.Thread(target=guard, daemon=True).start()

    return run_schedule(engine, schedule, kwargs, trigger=trigger, job_func=RECORD, on_started=started)


def stop_at_once(engine: Engine, schedule: ScheduleConfig, kwargs: dict[str, Any]) -> ScheduleReport:
    return run_schedule(
        engine, schedule, kwargs, job_func=RECORD, on_started=lambda scheduler: scheduler.shutdown(wait=False)
    )


def runs(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_the_job_table_is_apschedulers_own() -> None:
    """Migration 0003 and the model describe the table APScheduler itself would create."""
    theirs = SQLAlchemyJobStore(url="sqlite://").jobs_t

    def shape(table: Any) -> list[tuple[Any, ...]]:
        return [
            (
                c.name,
                type(c.type).__name__,
                getattr(c.type, "length", None),
                getattr(c.type, "precision", None),
                c.nullable,
                c.primary_key,
                bool(c.index),
            )
            for c in table.columns
        ]

    assert shape(scheduler_jobs_t) == shape(theirs)
    assert scheduler_jobs_t.name == theirs.name


def test_a_trigger_that_fires_at_once_runs_the_job(engine: Engine, tmp_path: Path) -> None:
    log = tmp_path / "runs.log"
    report = run_until(
        engine, ScheduleConfig(), {"log": str(log)}, trigger=DateTrigger(datetime.now(UTC), timezone=UTC)
    )
    assert runs(log) == 1
    assert report == ScheduleReport(runs=1, failed=0, missed=0, stopped_by="shutdown")


def test_the_start_line_says_when_the_next_run_is(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pipeline.schedule")
    with time_machine.travel(datetime(2026, 11, 25, 1, 30, tzinfo=UTC), tick=False):
        stop_at_once(engine, ScheduleConfig(), {"log": str(tmp_path / "runs.log")})
    assert caplog.messages[0] == (
        "scheduler started (job roadmap-nightly, 0 3 * * * UTC); next run at 2026-11-25T03:00:00+00:00"
    )
    assert caplog.messages[-1] == "scheduler stopped (shutdown)"


def test_restarts_never_duplicate_the_job(engine: Engine, tmp_path: Path) -> None:
    for _ in range(3):
        stop_at_once(engine, ScheduleConfig(), {"log": str(tmp_path / "runs.log")})
    with engine.connect() as connection:
        rows = connection.execute(select(scheduler_jobs_t.c.id, func.count()).group_by(scheduler_jobs_t.c.id))
        assert rows.all() == [(JOB_ID, 1)]
    assert runs(tmp_path / "runs.log") == 0


def test_a_missed_run_after_downtime_runs_once_on_start(engine: Engine, tmp_path: Path) -> None:
    """Down from 02:00 to 04:30 with a job every 10 minutes: 14 runs were missed; exactly one runs."""
    log = tmp_path / "runs.log"
    schedule = ScheduleConfig(cron="*/10 * * * *", misfire_grace_s=6 * 3600)
    with time_machine.travel(datetime(2026, 11, 25, 2, 0, 30, tzinfo=UTC), tick=False):
        stop_at_once(engine, schedule, {"log": str(log)})
    assert persisted_next_run(engine) == datetime(2026, 11, 25, 2, 10, tzinfo=UTC)
    with time_machine.travel(datetime(2026, 11, 25, 4, 30, 5, tzinfo=UTC), tick=True):
        report = run_until(engine, schedule, {"log": str(log)})
        assert persisted_next_run(engine) == datetime(2026, 11, 25, 4, 40, tzinfo=UTC)
    assert runs(log) == 1
    assert (report.runs, report.missed) == (1, 0)


def test_a_run_missed_by_more_than_the_grace_period_is_skipped(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pipeline.schedule")
    log = tmp_path / "runs.log"
    schedule = ScheduleConfig(cron="0 3 * * *", misfire_grace_s=6 * 3600)
    with time_machine.travel(datetime(2026, 11, 25, 2, 0, tzinfo=UTC), tick=False):
        stop_at_once(engine, schedule, {"log": str(log)})
    with time_machine.travel(datetime(2026, 11, 25, 9, 30, tzinfo=UTC), tick=True):
        report = run_until(engine, schedule, {"log": str(log)})
    assert runs(log) == 0
    assert (report.runs, report.missed) == (0, 1)
    assert (
        "missed the run due at 2026-11-25T03:00:00+00:00: more than 21600s late (misfire_grace_s); "
        "next run at 2026-11-26T03:00:00+00:00"
    ) in caplog.messages


def test_a_failed_run_is_logged_and_the_schedule_goes_on(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pipeline.schedule")
    log = tmp_path / "runs.log"
    with time_machine.travel(datetime(2026, 11, 25, 2, 59, 59, 990000, tzinfo=UTC), tick=True):
        report = run_until(engine, ScheduleConfig(), {"log": str(log), "outcome": "invalid"})
    assert runs(log) == 1
    assert report == ScheduleReport(runs=1, failed=1, missed=0, stopped_by="shutdown")
    failed = caplog.messages.index("nightly run failed: catalogue/resources/x.yaml:1:1: id: required")
    assert caplog.messages[failed + 1] == "next run at 2026-11-26T03:00:00+00:00"


def test_an_interrupted_run_stops_the_scheduler(engine: Engine, tmp_path: Path) -> None:
    """The run caught SIGTERM itself (results kept, run interrupted): the scheduler exits after it."""
    log = tmp_path / "runs.log"
    report = run_until(
        engine,
        ScheduleConfig(),
        {"log": str(log), "outcome": "interrupted"},
        trigger=DateTrigger(datetime.now(UTC), timezone=UTC),
        then=lambda _scheduler: None,  # the scheduler must stop by itself
    )
    assert report == ScheduleReport(runs=1, failed=0, missed=0, stopped_by="run interrupted")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_while_waiting_shuts_down_cleanly(engine: Engine, tmp_path: Path, signum: int) -> None:
    previous = signal.getsignal(signum)

    def send(_scheduler: BaseScheduler) -> None:
        os.kill(os.getpid(), signum)

    report = run_until(
        engine,
        ScheduleConfig(),
        {"log": str(tmp_path / "runs.log")},
        events=0,  # nothing to wait for: send the signal as soon as the scheduler is up
        then=send,
    )
    assert report.stopped_by == f"signal {signal.Signals(signum).name}"
    assert signal.getsignal(signum) is previous
    assert persisted_next_run(engine) is not None  # the job stays stored for the next start


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        (
            ScheduleConfig(cron="0 3 * *"),
            "schedule.cron: '0 3 * *' is not a cron expression of five fields (minute hour day month "
            "weekday), e.g. '0 3 * * *' (Wrong number of fields; got 4, expected 5)",
        ),
        (
            ScheduleConfig(cron="0 25 * * *"),
            "schedule.cron: '0 25 * * *' is not a cron expression of five fields (minute hour day month "
            "weekday), e.g. '0 3 * * *' (Error validating expression '25': the last value (25) is higher "
            "than the maximum value (23))",
        ),
        (
            ScheduleConfig(timezone="Mars/Olympus"),
            "schedule.timezone: 'Mars/Olympus' is not a known time zone — use an IANA name such as 'UTC' "
            "or 'Europe/Paris' ('No time zone found with key Mars/Olympus')",
        ),
    ],
    ids=["four-fields", "hour-out-of-range", "unknown-zone"],
)
def test_a_bad_schedule_is_a_config_error(schedule: ScheduleConfig, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        make_trigger(schedule)
    assert str(error.value) == message


def test_the_default_schedule_is_three_in_the_morning_utc() -> None:
    trigger = make_trigger(ScheduleConfig())
    first = trigger.get_next_fire_time(None, datetime(2026, 11, 25, 3, 0, 1, tzinfo=UTC))
    assert first == datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
    assert first - trigger.get_next_fire_time(None, datetime(2026, 11, 24, 12, tzinfo=UTC)) == timedelta(
        days=1
    )
