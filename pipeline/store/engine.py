"""Opening the store: the one place that knows engine-specific settings and runs the migrations.

SQLite is the embedded default; everything SQLite-only (WAL, pragmas, how transactions begin) lives here,
so the same models and migrations run unchanged on PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError

from pipeline.errors import StoreError

DATABASE_FILE = "roadmap.db"
DATABASE_ENV = "ROADMAP_DATABASE_URL"
BUSY_TIMEOUT_MS = 30_000  # a reader and the crawler share the file: wait for the other's write, don't fail
# migrations/ sits beside the package in the repository (editable installs keep it there).
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def default_database_url(catalogue_dir: Path) -> str:
    """A SQLite file in the list repository (the catalogue directory's parent); *.db is git-ignored."""
    return f"sqlite:///{(Path(catalogue_dir).resolve().parent / DATABASE_FILE).as_posix()}"


def resolve_database_url(database_url: str | None, catalogue_dir: Path) -> str:
    """The flag wins, then $ROADMAP_DATABASE_URL, then the file beside the catalogue."""
    return database_url or os.environ.get(DATABASE_ENV) or default_database_url(catalogue_dir)


def make_engine(database_url: str) -> Engine:
    """An engine with our settings applied on every new connection (SQLite only; others need none)."""
    try:
        url = make_url(database_url)
    except ArgumentError as error:
        raise StoreError(f"{database_url}: not a database URL ({error})") from error
    try:
        if url.get_backend_name() != "sqlite":
            return create_engine(url, pool_pre_ping=True)
        engine = create_engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        # An unknown scheme (bogus://) or a driver that is not installed (postgresql:// without psycopg).
        raise StoreError(
            f"{url.render_as_string(hide_password=True)}: cannot use this database: {error} "
            "(use sqlite:///path/to/roadmap.db, or install the driver the URL names)"
        ) from error
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when a transaction begins (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if engine.url.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode = WAL")  # readers never block the writer, nor it them
            cursor.execute("PRAGMA foreign_keys = ON")
            # With WAL, NORMAL is still atomic and durable against a killed process (not a power cut).
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A writer takes the write lock at BEGIN (waiting up to busy_timeout) instead of failing with
        # SQLITE_BUSY when it first writes after reading a snapshot another writer has since changed.
        immediate = connection.get_execution_options().get("write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction that reads then writes: all of it commits or none of it does.

    The database refusing the write (a read-only file or folder, a full disk, a lock held past the busy
    timeout) is a StoreError naming the database; constraint errors pass through for the caller.
    """
    try:
        with engine.connect() as connection:
            connection.execution_options(write=True)
            with connection.begin():
                yield connection
    except OperationalError as error:
        reason = _reason(error)
        writable = " (check that the file and its folder are writable by this user)"
        hint = writable if "readonly" in reason else ""
        raise StoreError(f"{_shown(engine)}: cannot write: {reason}{hint}") from error


@contextmanager
def foreign_keys_deferred(connection: Connection) -> Iterator[None]:
    """Let a migration rebuild SQLite tables (batch mode) without cascading through foreign keys.

    SQLite ignores `PRAGMA foreign_keys` inside a transaction, so this must wrap the migration
    transaction; the keys are checked once the migration is done.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    # Through the DB-API connection: a SQLAlchemy execute would begin a transaction first.
    raw = connection.connection.dbapi_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
        problems = raw.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise StoreError(f"the migration left rows with dangling foreign keys: {problems[:5]}")
    finally:
        raw.execute("PRAGMA foreign_keys = ON")


def _alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config as AlembicConfig

    if not (MIGRATIONS_DIR / "env.py").is_file():
        raise StoreError(
            f"{MIGRATIONS_DIR}: the migrations are missing; install the package from its repository "
            "(pip install -e .) so migrations/ sits beside pipeline/"
        )
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(_alembic_config()).get_heads()
    if len(heads) != 1:
        raise StoreError(f"{MIGRATIONS_DIR}: expected one head revision, found {heads}")
    return heads[0]


def revisions() -> list[str]:
    """Every revision id, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as error:
        raise StoreError(f"{_shown(engine)}: cannot read the schema revision: {_reason(error)}") from error


def upgrade(engine_or_url: Engine | str, revision: str = "head") -> None:
    """Bring the schema to `revision` through alembic, in one transaction (SQLite DDL is transactional)."""
    from alembic import command
    from alembic.util import CommandError

    engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    try:
        with engine.connect() as connection:
            connection.execution_options(write=True)
            with foreign_keys_deferred(connection):
                command.upgrade(_alembic_config(connection), revision)
                connection.commit()
    except SQLAlchemyError as error:
        raise StoreError(f"{_shown(engine)}: cannot upgrade the schema: {_reason(error)}") from error
    except CommandError as error:
        # Typically a database written by a newer version of this tool (a revision we do not know).
        raise StoreError(
            f"{_shown(engine)}: cannot upgrade the schema: {error} "
            "(was it written by a newer version of roadmap? upgrade the tool)"
        ) from error
    finally:
        if isinstance(engine_or_url, str):
            engine.dispose()


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to `revision` ("base": empty) through the migrations' downgrades, in one
    transaction. For tests and recovery; nothing in normal operation goes backwards."""
    from alembic import command

    try:
        with engine.connect() as connection:
            connection.execution_options(write=True)
            with foreign_keys_deferred(connection):
                command.downgrade(_alembic_config(connection), revision)
                connection.commit()
    except SQLAlchemyError as error:
        raise StoreError(f"{_shown(engine)}: cannot downgrade the schema: {_reason(error)}") from error


def open_store(database_url: str | None, catalogue_dir: Path) -> Engine:
    """The engine of the store, its schema at the newest revision (created if the file is new)."""
    url = resolve_database_url(database_url, catalogue_dir)
    engine = make_engine(url)
    database = engine.url.database
    if engine.url.get_backend_name() == "sqlite" and database not in (None, "", ":memory:"):
        try:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"{database}: cannot create its directory: {error.strerror}") from error
    # Most commands find the schema current: check without taking the write lock a crawler may hold.
    if current_revision(engine) != head_revision():
        upgrade(engine)
    return engine


def _shown(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _reason(error: SQLAlchemyError) -> str:
    original = getattr(error, "orig", None)
    return str(original or error).splitlines()[0]
