"""Where the store is, read without SQLAlchemy: the plain SQLite URL's file is the one SQLAlchemy reads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import make_url

from pipeline.store.engine import sqlite_file
from pipeline.store.location import plain_sqlite_file

PLAIN = [
    "sqlite:///roadmap.db",
    "sqlite:///catalogue/../state/roadmap.db",
    "sqlite:////srv/list/roadmap.db",
    "sqlite:////srv/my lists/road map.db",
    "sqlite:///state/roadmap",
    "sqlite+pysqlite:////srv/list/roadmap.db",
    "sqlite:///ünïcode/roadmap.db",
    "sqlite:///roadmap.db.lock.db",
]
NOT_PLAIN = [
    "sqlite://",  # in memory
    "sqlite:///:memory:",
    "sqlite:///roadmap.db?mode=ro",
    "sqlite:///file:roadmap.db?uri=true",
    "sqlite:///my%20list.db",  # SQLAlchemy's parser decides what an escape means
    "sqlite://user@host/roadmap.db",
    "sqlite://roadmap.db",  # a mistake parse_database_url explains
    "postgresql://host/roadmap",
    "postgresql+psycopg:///roadmap",
    "sqlite+aiosqlite:///roadmap.db",
    "roadmap.db",
    " sqlite:///roadmap.db",
]


@pytest.mark.parametrize("url", PLAIN)
def test_a_plain_sqlite_url_names_the_file_sqlalchemy_opens(url: str) -> None:
    assert plain_sqlite_file(url) == sqlite_file(make_url(url)) is not None


@pytest.mark.parametrize("url", NOT_PLAIN)
def test_any_other_url_is_left_to_sqlalchemy(url: str) -> None:
    assert plain_sqlite_file(url) is None


def test_locking_a_plain_sqlite_file_imports_no_sqlalchemy(tmp_path: Path) -> None:
    """`roadmap check` takes its lock before its first request; SQLAlchemy's import would delay it."""
    code = (
        "import sys\n"
        "from pipeline.lock import run_lock\n"
        f"with run_lock('sqlite:///{tmp_path}/roadmap.db', command='test'):\n"
        "    print(sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "[]\n", "")
    assert (tmp_path / "roadmap.db.lock").exists()
