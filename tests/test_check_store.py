"""`roadmap check` opens the store in a thread while the crawl starts: the run is recorded as before, and a
store it cannot take stops it with the store's one-line error, recording nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.lock import run_lock
from tests.cli import roadmap
from tests.crawl.server import LoopbackServer
from tests.nightly.conftest import query, serve_ok, server, write_catalogue

__all__ = ["server"]  # the fixture


def test_the_run_is_recorded_and_begins_when_its_crawl_does(
    tmp_path: Path, server: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    catalogue_dir = write_catalogue(
        tmp_path, {"alpha": serve_ok(server, "alpha"), "beta": serve_ok(server, "beta")}
    )
    database = tmp_path / "r.db"
    args = ("check", "--catalogue", str(catalogue_dir), "--database", f"sqlite:///{database}")
    code, out, err = roadmap(capsys, *args, "--allow-private-addresses")
    assert code == 0, err
    assert "checked 2 resources: 2 ok" in out
    [(run_id, started, outcome, checked)] = query(
        database, "SELECT id, started_at, outcome, checked FROM check_run"
    )
    assert (outcome, checked) == ("complete", 2)
    times = query(database, "SELECT checked_at FROM check_result WHERE run_id = ?", run_id)
    assert len(times) == 2 and all(at >= started for (at,) in times)  # no result before its run began


def test_a_store_held_by_another_run_stops_the_check_and_records_nothing(
    tmp_path: Path, server: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    catalogue_dir = write_catalogue(tmp_path, {"alpha": serve_ok(server, "alpha")})
    database = tmp_path / "r.db"
    url = f"sqlite:///{database}"
    with run_lock(url, command="roadmap nightly"):
        code, out, err = roadmap(capsys, "check", "--catalogue", str(catalogue_dir), "--database", url)
    assert code == 2
    assert (
        err.startswith("roadmap: error: ") and "in use by another run" in err and len(err.splitlines()) == 1
    )
    assert out == ""
    assert not database.exists()  # not even created: the lock is taken before the store is opened


def test_the_program_exits_with_its_commands_status(tmp_path: Path) -> None:
    """`python -m pipeline` (and the `roadmap` script) leave at once after the command: same status and
    output as main()."""
    ok = subprocess.run(
        [sys.executable, "-m", "pipeline", "--version"], capture_output=True, text=True, timeout=60
    )
    assert (ok.returncode, ok.stdout.strip()) == (0, "roadmap, version 0.1.0")
    missing = tmp_path / "nowhere"
    bad = subprocess.run(
        [sys.executable, "-m", "pipeline", "validate", "--catalogue", str(missing)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "nowhere" in bad.stderr and "Traceback" not in bad.stderr
