"""One run at a time: the run lock on a SQLite file database and what it says when it is held."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import make_url

from pipeline.errors import LockedError
from pipeline.lock import lock_path_for, run_lock
from tests.crawl.server import LoopbackServer
from tests.nightly.conftest import IPS, lock_holder, serve_ok, write_catalogue


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///catalogue/roadmap.db", "catalogue/roadmap.db.lock"),
        ("sqlite:////srv/list/roadmap.db", "/srv/list/roadmap.db.lock"),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("postgresql://host/roadmap", None),
    ],
    ids=["relative-file", "absolute-file", "memory-default", "memory-explicit", "postgresql-advisory"],
)
def test_lock_file_beside_a_sqlite_file_database(url: str, expected: str | None) -> None:
    path = lock_path_for(make_url(url))
    assert (str(path) if path else None) == expected


def test_second_run_in_the_same_process_is_refused_with_the_holder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/roadmap.db"
    with run_lock(url, command="roadmap nightly") as holder:
        assert holder.pid == os.getpid()
        with pytest.raises(LockedError) as refused, run_lock(url, command="roadmap check"):
            pytest.fail("a second holder got the lock")
    message = str(refused.value)
    assert message == (
        f"{tmp_path}/roadmap.db is in use by another run "
        f"(pid {os.getpid()}, roadmap nightly, since {holder.since}); "
        f"wait for it to finish or stop that process (lock file: {tmp_path}/roadmap.db.lock)"
    )
    # Released: the lock can be taken again, and the file no longer names the finished run.
    assert (tmp_path / "roadmap.db.lock").read_text() == ""
    with run_lock(url):
        pass


def test_the_scheduler_lock_is_separate_from_the_run_lock(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/roadmap.db"
    assert lock_path_for(make_url(url), "schedule") == tmp_path / "roadmap.db.schedule.lock"
    with run_lock(url, command="roadmap schedule", purpose="schedule"):
        with run_lock(url, command="roadmap nightly"):  # the scheduler's own run takes the run lock
            pass
        with (
            pytest.raises(LockedError, match="is in use by another `roadmap schedule` "),
            run_lock(url, purpose="schedule"),
        ):
            pass


def test_in_memory_database_needs_no_lock() -> None:
    with run_lock("sqlite://"), run_lock("sqlite://"):
        pass


@pytest.mark.slow
def test_a_killed_holder_never_blocks_the_next_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/roadmap.db"
    with lock_holder(url, "roadmap nightly") as holder:
        with pytest.raises(LockedError, match=rf"\(pid {holder.pid}, roadmap nightly, since "), run_lock(url):
            pass
        holder.send_signal(signal.SIGKILL)  # no cleanup runs: only the kernel releases the lock
        assert holder.wait(timeout=10) == -signal.SIGKILL
    # The dead holder's record is still in the file, but it is not trusted: the lock is free.
    assert f'"pid": {holder.pid}' in (tmp_path / "roadmap.db.lock").read_text()
    with run_lock(url, command="roadmap nightly") as again:
        assert again.pid == os.getpid()


@pytest.mark.slow
def test_a_check_process_refused_by_the_lock_fetches_nothing(tmp_path: Path, server: LoopbackServer) -> None:
    """A real process, which imports what it needs as it goes: the lock is taken before the first request
    (it once was taken by the store's thread while the crawl started, and a refused run had already sent
    a request to every host)."""
    catalogue = write_catalogue(
        tmp_path, {f"r{i}": serve_ok(server, f"r{i}", ip) for i, ip in enumerate(IPS)}
    )
    url = f"sqlite:///{tmp_path}/state/roadmap.db"
    env = {k: v for k, v in os.environ.items() if k != "ROADMAP_DATABASE_URL"}
    command = [sys.executable, "-m", "pipeline", "check", "--allow-private-addresses"]
    with lock_holder(url, "roadmap nightly") as holder:
        refused = subprocess.run(
            [*command, "--catalogue", str(catalogue), "--database", url],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
    assert (refused.returncode, refused.stdout) == (2, "")
    assert f"roadmap.db is in use by another run (pid {holder.pid}, roadmap nightly, since " in refused.stderr
    assert sum(server.stats.hits.values()) == 0
    assert not (tmp_path / "state" / "roadmap.db").exists()  # nothing opened either
