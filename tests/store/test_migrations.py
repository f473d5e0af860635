"""The schema is made only by the alembic migrations, and they agree with the models."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import JSON, Boolean, DateTime, Float, Integer, LargeBinary, MetaData, String, inspect, select
from sqlmodel import SQLModel

from pipeline.store.engine import current_revision, head_revision, make_engine, revisions, upgrade

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


def test_there_is_history_to_upgrade_through() -> None:
    assert len(revisions()) >= 2


def _value(column: Any, table: str, i: int) -> Any:
    kind = column.type
    if isinstance(kind, Boolean):
        return i % 2 == 0
    if isinstance(kind, Integer):
        return i + 1
    if isinstance(kind, Float):
        return i / 10
    if isinstance(kind, DateTime):
        return datetime(2026, 1, 1 + i, 3, 0, 0, 123456)
    if isinstance(kind, JSON):
        return (
            {"k": [table, i]} if "counts" in column.name or "exceptions" in column.name else [f"{table}-{i}"]
        )
    if isinstance(kind, LargeBinary):
        return bytes([i]) * 8
    if isinstance(kind, String):
        return f"{column.name}-{i}"[: kind.length or 100]
    raise AssertionError(f"no sample value for {table}.{column.name} of type {kind!r}")


def _fill(connection: Any, metadata: MetaData, n: int = 3) -> dict[str, list[dict[str, Any]]]:
    """Rows valid for whatever schema the database has now: foreign keys point at row i of the parent."""
    written: dict[str, list[dict[str, Any]]] = {}
    for table in metadata.sorted_tables:
        if table.name == "alembic_version":
            continue
        rows = []
        for i in range(n):
            row = {}
            for column in table.columns:
                foreign = next(iter(column.foreign_keys), None)
                if foreign is not None:
                    parent = foreign.column
                    row[column.name] = written[parent.table.name][i][parent.name]
                else:
                    row[column.name] = _value(column, table.name, i)
            rows.append(row)
        connection.execute(table.insert(), rows)
        written[table.name] = rows
    return written


@pytest.mark.parametrize("revision", revisions()[:-1])
def test_upgrade_from_an_earlier_revision_keeps_the_data(tmp_path: Path, revision: str) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, revision)
    assert current_revision(engine) == revision
    old = MetaData()
    old.reflect(engine)
    with engine.begin() as connection:
        written = _fill(connection, old)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
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
