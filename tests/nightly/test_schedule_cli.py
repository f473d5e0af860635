"""`roadmap schedule` end to end: the real job runs the real nightly; the real command stops on SIGTERM."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.date import DateTrigger

from pipeline.config import ScheduleConfig
from pipeline.schedule import run_schedule
from pipeline.store.engine import open_store
from tests.crawl.server import LoopbackServer
from tests.nightly.conftest import IPS, query, serve_gone, serve_ok, write_catalogue

BOUND_S = 30


def test_the_scheduled_job_is_the_nightly_job(server: LoopbackServer, tmp_path: Path) -> None:
    catalogue = write_catalogue(
        tmp_path, {"alpha": serve_ok(server, "alpha", IPS[0]), "beta": serve_gone(server, "beta", IPS[1])}
    )
    url = f"sqlite:///{tmp_path}/roadmap.db"
    engine = open_store(url, catalogue)
    ran = threading.Event()

    def started(scheduler: BaseScheduler) -> None:
        scheduler.add_listener(lambda _event: ran.set(), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)

        def guard() -> None:
            ran.wait(BOUND_S)
            scheduler.shutdown()

        threading.Thread(target=guard, daemon=True).start()

    try:
        report = run_schedule(
            engine,
            ScheduleConfig(),
            {"catalogue_dir": str(catalogue), "database_url": url, "allow_private_addresses": True},
            trigger=DateTrigger(datetime.now(UTC), timezone=UTC),
            on_started=started,
        )
    finally:
        engine.dispose()
    assert (report.runs, report.failed) == (1, 0)
    assert query(tmp_path / "roadmap.db", "SELECT trigger, outcome, total FROM check_run") == [
        ("scheduled", "complete", 2)
    ]
    assert (tmp_path / "reports" / "health.md").is_file()
    assert (tmp_path / "exports" / "roadmap.json").is_file()


def lines_of(stream: object) -> queue.Queue[str]:
    """Read a pipe line by line in a thread, so the test can wait for a line with a bound."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:  # type: ignore[attr-defined]
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def wait_for(lines: queue.Queue[str], needle: str) -> str:
    while True:
        line = lines.get(timeout=BOUND_S)
        if needle in line:
            return line


@pytest.mark.slow
def test_the_command_logs_the_next_run_refuses_a_second_scheduler_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    catalogue = write_catalogue(tmp_path, {"alpha": "http://127.0.0.2:9/alpha"})
    args = [sys.executable, "-m", "pipeline", "schedule", "--catalogue", str(catalogue)]
    env = {k: v for k, v in os.environ.items() if k != "ROADMAP_DATABASE_URL"}
    process = subprocess.Popen(
        args, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        started = wait_for(lines_of(process.stderr), "scheduler started")
        assert re.fullmatch(
            r"\S+ roadmap schedule: scheduler started \(job roadmap-nightly, 0 3 \* \* \* UTC\); "
            r"next run at \d{4}-\d\d-\d\dT03:00:00\+00:00",
            started.rstrip(),
        )

        second = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=BOUND_S)
        assert second.returncode == 2
        assert re.fullmatch(
            re.escape(f"roadmap: error: {tmp_path}/roadmap.db is in use by another `roadmap schedule` ")
            + re.escape(f"(pid {process.pid}, roadmap schedule, since ")
            + r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
            + re.escape(
                "); wait for it to finish or stop that process "
                f"(lock file: {tmp_path}/roadmap.db.schedule.lock)\n"
            ),
            second.stderr,
        )

        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=BOUND_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=BOUND_S)
    assert process.returncode == 0
    assert out == "roadmap schedule: stopped (signal SIGTERM) after 0 runs (0 failed, 0 missed)\n"
    # The job stays in the database for the next start, once.
    assert query(tmp_path / "roadmap.db", "SELECT id FROM apscheduler_jobs") == [("roadmap-nightly",)]
