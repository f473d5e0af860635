"""SIGTERM/SIGINT stop a real `roadmap nightly` process mid-check cleanly; the next run goes on."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.nightly import NightlyRequest, run_nightly
from tests.crawl.server import LoopbackServer, reply, slow
from tests.nightly.conftest import IPS, page, query, serve_ok, write_catalogue

FAST = ("r1", "r2")
SLOW = ("r3", "r4", "r5", "r6")
BOUND_S = 30


def next_night_with_every_page_fast(server: LoopbackServer, catalogue: Path, database: Path):
    for rid in SLOW:
        serve_ok(server, rid, IPS[0])
    return run_nightly(
        NightlyRequest(
            catalogue_dir=catalogue, database_url=f"sqlite:///{database}", allow_private_addresses=True
        )
    )


def results_written(database: Path) -> int:
    try:
        return query(database, "SELECT count(*) FROM check_result")[0][0]
    except sqlite3.OperationalError:  # not created or not migrated yet
        return 0


def start_mid_check(
    server: LoopbackServer, tmp_path: Path, output: int
) -> tuple[subprocess.Popen, Path, Path]:
    """A real `roadmap nightly` process whose fast pages are recorded and whose slow ones are in flight."""
    urls = {rid: serve_ok(server, rid, IPS[0]) for rid in FAST}
    # Slow on purpose: these are in flight when the signal comes (the server gives up after 8 s).
    urls |= {rid: server.route(f"/{rid}", slow(6.0, reply(200, page(rid))), ip=IPS[0]) for rid in SLOW}
    catalogue = write_catalogue(tmp_path, urls)
    database = tmp_path / "state" / "roadmap.db"
    env = {k: v for k, v in os.environ.items() if k != "ROADMAP_DATABASE_URL"}
    command = ["nightly", "--allow-private-addresses", "--catalogue", str(catalogue)]
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", *command, "--database", f"sqlite:///{database}"],
        cwd=tmp_path,
        env=env,
        stdout=output,
        stderr=output,
        text=True,
    )
    deadline = time.monotonic() + BOUND_S
    while results_written(database) < len(FAST) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return process, catalogue, database


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_mid_check_keeps_the_results_and_marks_the_run_interrupted(
    server: LoopbackServer, tmp_path: Path, signum: int
) -> None:
    process, catalogue, database = start_mid_check(server, tmp_path, subprocess.PIPE)
    try:
        assert process.poll() is None, process.communicate()
        assert results_written(database) >= len(FAST)
        process.send_signal(signum)
        out, err = process.communicate(timeout=BOUND_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=BOUND_S)

    assert (process.returncode, err) == (3, "")
    kept = results_written(database)
    assert len(FAST) <= kept < len(FAST) + len(SLOW)
    assert out.splitlines()[0] == (
        "roadmap nightly: interrupted by a signal during check; run #1 concluded interrupted with "
        f"{kept} of 6 results kept; reports and exports were not refreshed"
    )
    runs = query(database, "SELECT id, outcome, checked, total FROM check_run")
    assert runs == [(1, "interrupted", kept, 6)]
    assert query(database, "PRAGMA integrity_check") == [("ok",)]
    assert query(database, "PRAGMA foreign_key_check") == []
    # The finished results were applied: those resources have health and are not due again tonight.
    healthy = {
        row[0] for row in query(database, "SELECT resource_id FROM resource_health WHERE status = 'ok'")
    }
    assert set(FAST) <= healthy and len(healthy) == kept
    assert not (tmp_path / "reports").exists()

    # The next run checks what was left, and succeeds.
    result = next_night_with_every_page_fast(server, catalogue, database)
    assert (result.exit_code, result.headline) == (0, "healthy")
    assert (result.check.run.id, result.check.run.conclusion, result.check.run.total) == (
        2,
        "complete",
        6 - kept,
    )
    assert re.fullmatch(r"\d+ ok", " ".join(f"{n} {s}" for s, n in result.check.run.counts.items()))
    assert query(database, "SELECT count(*) FROM resource_health WHERE status = 'ok'") == [(6,)]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_between_steps_stops_before_the_next_one(
    server: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signum: int
) -> None:
    import pipeline.store.sync as sync_module

    catalogue = write_catalogue(tmp_path, {rid: serve_ok(server, rid) for rid in FAST})
    real_sync = sync_module.sync_catalogue

    def sync_then_signal(*args: object, **kw: object) -> object:
        report = real_sync(*args, **kw)
        os.kill(os.getpid(), signum)  # delivered to this (main) thread before the next step
        return report

    monkeypatch.setattr(sync_module, "sync_catalogue", sync_then_signal)
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    result = run_nightly(
        NightlyRequest(catalogue, f"sqlite:///{tmp_path}/roadmap.db", allow_private_addresses=True)
    )
    name = signal.Signals(signum).name
    assert (result.exit_code, result.interrupted) == (3, True)
    assert result.headline == f"interrupted by {name} during check; reports and exports were not refreshed"
    assert result.steps_done == ("validate", "migrate", "sync")
    assert sum(server.stats.hits.values()) == 0
    assert query(tmp_path / "roadmap.db", "SELECT count(*) FROM resource") == [(2,)]  # the sync committed
    assert {sig: signal.getsignal(sig) for sig in before} == before  # handlers given back


@pytest.mark.slow
def test_a_killed_nightly_leaves_the_database_consistent_and_the_next_run_recovers(
    server: LoopbackServer, tmp_path: Path
) -> None:
    process, catalogue, database = start_mid_check(server, tmp_path, subprocess.DEVNULL)
    try:
        assert process.poll() is None
        process.kill()  # SIGKILL: no handler, no cleanup, the lock dies with the process
        assert process.wait(timeout=BOUND_S) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=BOUND_S)

    kept = results_written(database)
    assert kept >= len(FAST)
    assert query(database, "PRAGMA integrity_check") == [("ok",)]
    assert query(database, "PRAGMA foreign_key_check") == []
    assert query(database, "SELECT id, outcome FROM check_run") == [(1, "running")]
    assert query(database, "SELECT count(*) FROM resource_health") == [(0,)]  # nothing half-applied

    result = next_night_with_every_page_fast(server, catalogue, database)
    assert (result.exit_code, result.headline) == (0, "healthy")
    # The killed run is kept as history, marked aborted, its results not applied; the new run checks all.
    assert query(database, "SELECT id, outcome FROM check_run ORDER BY id") == [
        (1, "aborted"),
        (2, "complete"),
    ]
    assert query(database, "SELECT count(*) FROM check_result WHERE run_id = 1") == [(kept,)]
    assert query(database, "SELECT count(*) FROM resource_health WHERE status = 'ok'") == [(6,)]
