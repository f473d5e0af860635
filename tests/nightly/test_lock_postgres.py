"""The run lock on PostgreSQL: a session advisory lock, refused with the holder named, released by the
server when the holder's session dies. Runs when $ROADMAP_TEST_POSTGRES_URL is set (tests/store/postgres.py).
"""

from __future__ import annotations

import os
import re
import signal
import time

import pytest
from sqlalchemy import text

from pipeline.errors import LockedError
from pipeline.lock import _application_name, run_lock
from pipeline.store.engine import make_engine
from tests.nightly.conftest import lock_holder
from tests.store.postgres import pg_url, postgres_admin  # noqa: F401  (fixtures)

SINCE = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def shown(url: str) -> str:
    return make_engine(url).url.render_as_string(hide_password=True)


def test_second_holder_is_refused_with_the_holder_named(pg_url: str) -> None:  # noqa: F811
    with run_lock(pg_url, command="roadmap nightly (nightly)") as holder:
        assert holder.pid == os.getpid() and holder.where.startswith("advisory lock (")
        with pytest.raises(LockedError) as refused, run_lock(pg_url, command="roadmap check"):
            pytest.fail("a second holder got the lock")
    message = str(refused.value)
    expected = (
        rf"{re.escape(shown(pg_url))} is in use by another run "
        rf"\(pid {os.getpid()}, roadmap nightly \(nightly\), since ({SINCE})\); "
        rf"wait for it to finish or stop that process \({re.escape(holder.where)}\)"
    )
    assert re.fullmatch(expected, message), message
    assert "roadmap:roadmap@" not in message  # the password is never shown
    with run_lock(pg_url, command="roadmap check"):  # released: the next run gets it
        pass


def test_a_shared_engine_gets_its_connection_back_clean(pg_url: str) -> None:  # noqa: F811
    engine = make_engine(pg_url)
    try:
        with run_lock(engine, command="roadmap check"):
            pass
        with engine.connect() as connection:  # the pooled connection the lock used
            locks = connection.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"))
            assert locks.scalar() == 0
            assert connection.execute(text("SHOW application_name")).scalar() == ""
    finally:
        engine.dispose()


def test_the_scheduler_lock_is_separate_and_databases_are_separate(
    pg_url: str,  # noqa: F811
    postgres_admin,  # noqa: F811
) -> None:
    other = postgres_admin.url.render_as_string(hide_password=False)  # another database, same server
    with run_lock(pg_url, command="roadmap schedule", purpose="schedule"):
        with run_lock(pg_url, command="roadmap nightly (scheduled)"), run_lock(other):
            pass
        with (
            pytest.raises(LockedError, match=r"another `roadmap schedule` \(pid \d+, roadmap sch"),
            run_lock(pg_url, purpose="schedule"),
        ):
            pass


@pytest.mark.parametrize(
    ("command", "kept"),
    [
        ("roadmap nightly (nightly)", "roadmap nightly (nightly)"),
        ("x" * 100, "x" * (63 - len(" [pid 0000000]"))),
        ("é" * 40, "é" * 24),  # 48 bytes: cut at a character boundary, never inside one
    ],
    ids=["fits", "cut-ascii", "cut-utf8"],
)
def test_application_name_keeps_the_pid_within_63_bytes(
    command: str, kept: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "getpid", lambda: 1234567)
    name = _application_name(command)
    assert name == f"{kept} [pid 1234567]" and len(name.encode()) <= 63


@pytest.mark.slow
def test_a_killed_holder_never_blocks_the_next_run(pg_url: str) -> None:  # noqa: F811
    with lock_holder(pg_url, "roadmap nightly (nightly)") as holder:
        with (
            pytest.raises(LockedError, match=rf"\(pid {holder.pid}, roadmap nightly \(nightly\), since "),
            run_lock(pg_url),
        ):
            pass
        holder.send_signal(signal.SIGKILL)  # no cleanup runs: only the server can release the lock
        assert holder.wait(timeout=10) == -signal.SIGKILL
    # The server ends the session when it reads the closed socket, a moment after the kill: poll, bounded.
    deadline = time.monotonic() + 10
    while True:
        try:
            with run_lock(pg_url, command="roadmap nightly") as again:
                assert again.pid == os.getpid()
            break
        except LockedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
