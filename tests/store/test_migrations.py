"""The schema is made by the alembic migrations, and they agree with the models; a new database gets the
same schema at once from the models, stamped with the newest revision."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, inspect, select
from sqlmodel import SQLModel

from pipeline.store.engine import (
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    open_store,
    revisions,
    upgrade,
)
from tests.store.rows import fill_then_upgrade
from tests.store.shape import schema

CORE_TABLES = {"section", "resource", "check_run", "check_result", "resource_health"}


def test_upgrade_from_empty_creates_every_table(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    assert tables == set(SQLModel.metadata.tables) | {"alembic_version"}
    assert tables >= CORE_TABLES
    assert current_revision(engine) == head_revision() == revisions()[-1]
    upgrade(engine)  # at head already: nothing to do, no error
    engine.dispose()


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
    engine.dispose()


def test_a_new_database_gets_the_migrated_schema_at_once(tmp_path: Path) -> None:
    migrated = make_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    upgrade(migrated)
    created = open_store(f"sqlite:///{tmp_path / 'created.db'}", tmp_path)
    try:
        assert schema(created) == schema(migrated)
        assert current_revision(created) == head_revision()
        downgrade(created, revisions()[-2])  # the migrations work on it as on their own
        upgrade(created)
        assert schema(created) == schema(migrated)
    finally:
        created.dispose()
        migrated.dispose()


def test_a_new_database_is_made_without_importing_alembic(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from pipeline.store.engine import open_store; "
        f"open_store('sqlite:///{tmp_path / 'new.db'}', Path('.')).dispose(); print('alembic' in sys.modules)"
    )
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert ran.stdout.strip() == "False", ran.stderr
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_there_is_history_to_upgrade_through() -> None:
    assert len(revisions()) >= 2


@pytest.mark.parametrize("revision", revisions()[:-1])
def test_upgrade_from_an_earlier_revision_keeps_the_data(tmp_path: Path, revision: str) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    written = fill_then_upgrade(engine, revision)
    new = MetaData()
    new.reflect(engine)
    with engine.connect() as connection:
        for name, rows in written.items():
            table = new.tables[name]
            stored = [
                dict(r._mapping) for r in connection.execute(select(table).order_by(*table.primary_key))
            ]
            assert len(stored) == len(rows), name
            for before, after in zip(rows, stored, strict=True):
                assert {k: after[k] for k in before} == before, name
            added = set(table.columns.keys()) - set(rows[0])
            for column in added:  # columns a later revision added start empty (nullable or defaulted)
                assert (
                    all(r[column] is None for r in stored) or table.columns[column].server_default is not None
                )
        assert connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
    engine.dispose()


def test_a_run_stopped_by_a_signal_is_renamed_interrupted(tmp_path: Path) -> None:
    """0005: rows written as "partial" by an older version read "interrupted", like new ones."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0004")
    with engine.begin() as connection:
        for outcome in ("complete", "partial", "inconclusive"):
            connection.exec_driver_sql(
                "INSERT INTO check_run (started_at, trigger, outcome, total, checked, counts) "
                f"VALUES ('2026-11-01 03:00:00', 'nightly', '{outcome}', 1, 1, '{{}}')"
            )
    upgrade(engine)
    with engine.connect() as connection:
        outcomes = connection.exec_driver_sql("SELECT outcome FROM check_run ORDER BY id").scalars().all()
    assert outcomes == ["complete", "interrupted", "inconclusive"]
    engine.dispose()
