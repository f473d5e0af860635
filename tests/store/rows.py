"""Sample rows for whatever schema a database has (migration tests on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, Integer, LargeBinary, MetaData, String


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


def fill(connection: Any, metadata: MetaData, n: int = 3) -> dict[str, list[dict[str, Any]]]:
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


# Columns a later revision moved to another table: (table, column) -> (table, its key column, column),
# the key column holding the old row's id.
MOVED = {("resource", "next_check_at"): ("resource_health", "resource_id", "next_check_at")}


def fill_then_upgrade(engine: Any, revision: str) -> dict[str, list[dict[str, Any]]]:
    """Bring the schema to `revision`, write sample rows valid for it, then upgrade to the newest revision;
    returns the rows written as the upgrade must keep them (a moved column's values in their new place)."""
    from pipeline.store.engine import current_revision, head_revision, upgrade

    upgrade(engine, revision)
    assert current_revision(engine) == revision
    old = MetaData()
    old.reflect(engine)
    with engine.begin() as connection:
        written = fill(connection, old)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    for (table, column), (target, key, new) in MOVED.items():
        if column in (written.get(table) or [{}])[0]:
            values = {row["id"]: row.pop(column) for row in written[table]}
            for row in written.get(target, []):
                row[new] = values[row[key]]
    return written
