"""Alembic environment: the schema is pipeline.store.models (SQLModel.metadata).

Called by pipeline.store.engine.upgrade with an open connection (config.attributes["connection"]);
`alembic -c alembic.ini ...` from the repository root works too, on the URL in sqlalchemy.url or
$ROADMAP_DATABASE_URL.
"""

from __future__ import annotations

import os

from alembic import context
from sqlmodel import SQLModel

import pipeline.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from pipeline.store.engine import foreign_keys_deferred, make_engine

config = context.config
target_metadata = SQLModel.metadata


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: batch mode rebuilds the table; elsewhere it is plain ALTER.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = os.environ.get("ROADMAP_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            connection.execution_options(write=True)
            with foreign_keys_deferred(connection):
                _configure(connection)
                with context.begin_transaction():
                    context.run_migrations()
                connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: run them against a database")
run_migrations_online()
