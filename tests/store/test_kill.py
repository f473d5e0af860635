"""A sync killed at any moment leaves the database exactly as before or exactly as after."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.store.engine import make_engine, open_store
from pipeline.store.health import resource_t, section_t
from pipeline.store.sync import sync_catalogue
from tests.store.sync_child import NOW, after_catalogue, before_catalogue

REPO = Path(__file__).resolve().parents[2]
KILLS = 6


def state(path: Path) -> tuple[str, int]:
    """A hash of every section and resource row, and the resource count."""
    engine = make_engine(f"sqlite:///{path}")
    digest = hashlib.sha256()
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        for table in (section_t, resource_t):
            for row in connection.execute(select(table).order_by(table.c.id)):
                digest.update(repr(tuple(row)).encode())
        n = connection.execute(select(resource_t.c.id)).all()
    engine.dispose()
    return digest.hexdigest(), len(n)


def child(path: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.store.sync_child", f"sqlite:///{path}"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )


def wait_ready(process: subprocess.Popen[str]) -> None:
    line = process.stdout.readline()  # bounded: the child prints it within seconds or dies
    assert line.strip() == "ready", line


@pytest.mark.slow
@pytest.mark.timeout(110)
def test_killed_sync_leaves_before_or_after(tmp_path: Path) -> None:
    template = tmp_path / "before.db"
    engine = open_store(f"sqlite:///{template}", tmp_path)
    sync_catalogue(engine, before_catalogue(), now=datetime(2026, 5, 1, 3, 0))
    engine.dispose()  # the last connection closing checkpoints the WAL into the file
    assert not Path(f"{template}-wal").exists()
    before = state(template)

    reference = tmp_path / "reference.db"
    shutil.copy(template, reference)
    process = child(reference)
    wait_ready(process)
    started = time.monotonic()
    out, _ = process.communicate(timeout=90)
    duration = time.monotonic() - started
    assert process.returncode == 0 and out.split() == ["done", "8000", "2400", "3000"]
    after = state(reference)
    assert after != before and after[1] == 23_000

    rng = random.Random(4)
    seen = []
    for attempt in range(KILLS):
        path = tmp_path / f"killed-{attempt}.db"
        shutil.copy(template, path)
        process = child(path)
        wait_ready(process)
        # Kill at varying moments spread over (and a little past) the sync's span, the first right
        # away. Nothing is asserted about timing: wherever the kill lands, only "before" or "after"
        # is acceptable.
        time.sleep(0 if attempt == 0 else (attempt + rng.random()) / KILLS * 1.4 * duration)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
        got = state(path)  # integrity_check runs here, on the file with whatever WAL the kill left
        assert got in (before, after), f"kill {attempt} left a state that is neither before nor after"
        seen.append("before" if got == before else "after")
        # The store is usable afterwards: the same sync now completes and arrives at "after".
        engine = make_engine(f"sqlite:///{path}")
        sync_catalogue(engine, after_catalogue(), now=NOW)
        engine.dispose()
        assert state(path) == after
    print(f"kill outcomes: {seen} (sync took {duration:.2f} s)")
