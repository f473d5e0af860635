"""Opening the store: where the file goes, the engine settings, errors a user can act on."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from pipeline.errors import StoreError
from pipeline.store.engine import (
    BUSY_TIMEOUT_MS,
    current_revision,
    head_revision,
    open_store,
)
from pipeline.store.location import default_database_url

T0 = datetime(2026, 1, 1)


def test_default_database_is_beside_the_catalogue(tmp_path: Path) -> None:
    assert default_database_url(tmp_path / "list" / "catalogue") == f"sqlite:///{tmp_path}/list/roadmap.db"


def test_sqlite_settings_are_applied_on_every_connection(engine) -> None:
    for _ in range(2):  # a fresh connection each time, not only the one that migrated
        with engine.connect() as connection:
            pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("journal_mode") == "wal"
            assert pragma("foreign_keys") == 1
            assert pragma("busy_timeout") == BUSY_TIMEOUT_MS
            assert pragma("synchronous") == 1  # NORMAL
        engine.dispose()


def test_url_flag_then_environment_then_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalogue = tmp_path / "list" / "catalogue"
    monkeypatch.setenv("ROADMAP_DATABASE_URL", f"sqlite:///{tmp_path}/env/from-env.db")
    open_store(None, catalogue).dispose()
    assert (tmp_path / "env" / "from-env.db").is_file()  # parent directory created
    engine = open_store(f"sqlite:///{tmp_path}/flag.db", catalogue)
    assert current_revision(engine) == head_revision()
    engine.dispose()
    monkeypatch.delenv("ROADMAP_DATABASE_URL")
    open_store(None, catalogue).dispose()
    assert (tmp_path / "list" / "roadmap.db").is_file()


@pytest.mark.parametrize(
    "url, message",
    [
        ("not a url", "not a database URL"),
        ("sqlite:////proc/no-such-dir/x.db", "cannot create its directory"),
        ("sqlite:///{tmp}/a-directory", "cannot read the schema revision: unable to open database file"),
    ],
    ids=["garbage", "unwritable", "a directory"],
)
def test_unusable_database_is_a_store_error(tmp_path: Path, url: str, message: str) -> None:
    (tmp_path / "a-directory").mkdir()
    with pytest.raises(StoreError, match=message):
        open_store(url.format(tmp=tmp_path), tmp_path)


def test_migrations_are_found_from_any_working_directory(tmp_path: Path) -> None:
    code = "from pathlib import Path\nfrom pipeline.store.engine import open_store\n"
    code += "open_store(None, Path('cat'))"
    env = {k: v for k, v in os.environ.items() if k != "ROADMAP_DATABASE_URL"}
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, check=True, timeout=60)
    assert (tmp_path / "roadmap.db").is_file()


@pytest.mark.timeout(20)
def test_a_reader_and_a_new_command_work_while_a_writer_holds_the_lock(engine, catalogue_dir: Path) -> None:
    from sqlalchemy import insert, select

    from pipeline.store.engine import write_transaction
    from pipeline.store.health import section_t
    from pipeline.store.sync import sync_catalogue
    from tests.factory import catalogue, resource

    sync_catalogue(engine, catalogue([resource("a")]))
    with write_transaction(engine) as writer:  # the crawler, mid-transaction
        writer.execute(
            insert(section_t).values(
                id="draft",
                title="Draft",
                position=99,
                kind="stage",
                introduction=[],
                goals=[],
                coverage=[],
                first_seen=T0,
                last_changed=T0,
            )
        )
        # Opening the store again (schema already current) must not wait for the writer's lock...
        other = open_store(None, catalogue_dir)
        # ...and a reader sees the last committed state, not the writer's uncommitted row.
        with other.connect() as reader:
            ids = set(reader.execute(select(section_t.c.id)).scalars())
        other.dispose()
        assert "linear-algebra" in ids and "draft" not in ids


def test_a_database_from_a_newer_version_is_a_store_error(tmp_path: Path) -> None:
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path}/future.db"
    open_store(url, tmp_path).dispose()
    from pipeline.store.engine import make_engine

    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreError, match=r"Can't locate revision .*9999.* newer version of roadmap"):
        open_store(url, tmp_path)


@pytest.mark.parametrize(
    ("url", "file"),
    [
        ("sqlite:///x/roadmap.db", "x/roadmap.db"),
        ("sqlite:////srv/roadmap.db", "/srv/roadmap.db"),
        ("sqlite:///file:x/roadmap.db?uri=true", "x/roadmap.db"),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("sqlite:///file:shared?mode=memory&cache=shared&uri=true", None),
        ("postgresql://host/db", None),
    ],
)
def test_one_answer_to_is_this_a_sqlite_file(url: str, file: str | None) -> None:
    from pipeline.lock import lock_path_for
    from pipeline.store.engine import sqlite_file

    assert sqlite_file(url) == (Path(file) if file else None)
    lock = lock_path_for(make_url(url))
    assert lock == (Path(f"{file}.lock") if file else None)


def test_the_head_read_from_the_migration_files_is_alembics() -> None:
    from pipeline.store.engine import _head_on_disk, head_revision

    assert _head_on_disk() == head_revision()


def test_a_store_an_older_version_wrote_is_upgraded_on_open(tmp_path: Path) -> None:
    from pipeline.store.engine import current_revision, head_revision, make_engine, revisions, upgrade

    url = f"sqlite:///{tmp_path}/old.db"
    upgrade(url, revisions()[-2])
    open_store(url, tmp_path).dispose()
    engine = make_engine(url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_opening_a_current_store_does_not_import_alembic(tmp_path: Path) -> None:
    # Every command opens the store: when its schema is current, alembic (80 ms) stays unimported.
    url = f"sqlite:///{tmp_path}/roadmap.db"
    open_store(url, tmp_path).dispose()
    code = (
        "import sys\nfrom pathlib import Path\nfrom pipeline.store.engine import open_store\n"
        f"open_store({url!r}, Path('.')).dispose()\nprint(sorted(m for m in sys.modules if 'alembic' in m))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
