"""A database's schema as it reports it, to compare two ways of building it (migration tests on SQLite and
PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, inspect


def schema(engine: Engine) -> dict[str, dict[str, Any]]:
    """Every table's columns (name, type, nullable, default), primary key, foreign keys, indexes, unique
    and check constraints. Columns are sorted by name: a batch migration on SQLite appends a column the
    model lists earlier, and the order changes nothing a query sees."""
    found = inspect(engine)
    return {
        table: {
            "columns": sorted(
                (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                for c in found.get_columns(table)
            ),
            "pk": str(found.get_pk_constraint(table)),
            "fks": sorted(map(str, found.get_foreign_keys(table))),
            "indexes": sorted(map(str, found.get_indexes(table))),
            "unique": sorted(map(str, found.get_unique_constraints(table))),
            "checks": sorted(map(str, found.get_check_constraints(table))),
        }
        for table in sorted(found.get_table_names())
    }
