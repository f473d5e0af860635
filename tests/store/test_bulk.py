"""insert_many / update_many store exactly what SQLAlchemy's own statements store, byte for byte: the
store's queries compare datetimes as the text SQLite holds (next_check_at <= now)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
    update,
)

from pipeline.store.bulk import insert_many, update_many

METADATA = MetaData()
THINGS = Table(
    "thing",
    METADATA,
    Column("id", String(20), primary_key=True),
    Column("at", DateTime(timezone=False)),
    Column("on", Date),
    Column("tags", JSON),
    Column("n", Integer),
)

MOMENTS = [
    datetime(2026, 11, 29, 4, 30, 1, 123456),
    datetime(2026, 11, 29, 4, 30, 1),  # no microseconds: isoformat would leave them out unless told
    datetime(2026, 1, 2, 3, 4, 5, 6),
    datetime(999, 12, 31, 23, 59, 59, 999999),  # a year of three digits, padded to four
    datetime(2026, 11, 29, 4, 30, 1, 5, tzinfo=UTC),  # aware: SQLAlchemy writes the clock time as it is
    datetime(2026, 11, 29, 4, 30, 1, 5, tzinfo=timezone(timedelta(hours=2))),
    None,
]


def _rows() -> list[dict[str, Any]]:
    return [
        {"id": f"t{i}", "at": at, "on": date(2026, 1, 1 + i), "tags": ["a", str(i)], "n": i}
        for i, at in enumerate(MOMENTS)
    ]


def _stored(engine: Any) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return connection.exec_driver_sql('SELECT id, at, "on", tags, n FROM thing ORDER BY id').all()


@pytest.fixture
def engines(tmp_path: Path) -> tuple[Any, Any]:
    made = []
    for name in ("bulk", "plain"):
        engine = create_engine(f"sqlite:///{tmp_path / name}.db")
        METADATA.create_all(engine)
        made.append(engine)
    return made[0], made[1]


def test_insert_many_stores_what_sqlalchemy_stores(engines: tuple[Any, Any]) -> None:
    bulk, plain = engines
    with bulk.begin() as connection:
        insert_many(connection, THINGS, _rows())
    with plain.begin() as connection:
        connection.execute(insert(THINGS), _rows())
    assert _stored(bulk) == _stored(plain)
    assert _stored(bulk)[1][1] == "2026-11-29 04:30:01.000000"


def test_update_many_stores_what_sqlalchemy_stores(engines: tuple[Any, Any]) -> None:
    bulk, plain = engines
    for engine in engines:
        with engine.begin() as connection:
            connection.execute(insert(THINGS), [{"id": row["id"], "n": 0} for row in _rows()])
    with bulk.begin() as connection:
        update_many(connection, THINGS, "id", _rows())
    with plain.begin() as connection:
        for row in _rows():
            connection.execute(update(THINGS).where(THINGS.c.id == row["id"]).values(row))
    assert _stored(bulk) == _stored(plain)
    assert [row[4] for row in _stored(bulk)] == list(range(len(MOMENTS)))  # every row, by its key
