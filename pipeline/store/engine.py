"""Opening the store: the one place that knows engine-specific settings and runs the migrations.

SQLite is the embedded default; everything SQLite-only (WAL, pragmas, how transactions begin) lives here,
so the same models and migrations run unchanged on PostgreSQL.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    create_engine,
    event,
    inspect,
)
from sqlalchemy import text as sql_text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError

from pipeline.errors import StoreError
from pipeline.store.location import plain_sqlite_file, resolve_database_url

BUSY_TIMEOUT_MS = 30_000  # a reader and the crawler share the file: wait for the other's write, don't fail
# migrations/ sits beside the package in the repository (editable installs keep it there).
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


# Schemes SQLAlchemy itself knows; anything else must be a dialect some installed package registers.
BUILT_IN_BACKENDS = ("sqlite", "postgresql", "mysql", "mariadb", "oracle", "mssql")
SUPPORTED_BACKENDS = ("sqlite", "postgresql")  # what a misspelt scheme is compared with
USE = "use sqlite:///path/to/roadmap.db or postgresql://user@host/database"


def parse_database_url(database_url: str) -> URL:
    """The URL, or a StoreError of one line that says what was probably meant: a bare path
    (roadmap.db -> sqlite:///roadmap.db), two slashes after sqlite: (sqlite://x.db -> sqlite:///x.db), a
    misspelt scheme (sqlit://, postgress://). A misspelt scheme is never told to install a driver."""
    text = database_url.strip()
    try:
        url = make_url(text)
    except ArgumentError:
        if "://" not in text and text and not any(c.isspace() for c in text):
            path = Path(text)
            suggestion = f"sqlite:///{path.as_posix()}" if not path.is_absolute() else f"sqlite:///{text}"
            raise StoreError(
                f"{database_url}: not a database URL — did you mean {suggestion}? (a SQLite file is "
                "sqlite:/// then its path)"
            ) from None
        raise StoreError(f"{database_url}: not a database URL ({USE})") from None
    backend = url.get_backend_name()
    if backend == "sqlite" and url.host:
        # sqlite://x.db puts the file name where the host goes and opens an in-memory database.
        path = "/".join(p for p in (url.host, url.database) if p)
        raise StoreError(
            f"{_shown_url(url)}: a SQLite URL has three slashes before a relative path and four before an "
            f"absolute one — did you mean sqlite:///{path}?"
        )
    if backend not in BUILT_IN_BACKENDS and not _dialect_installed(url):
        close = difflib.get_close_matches(backend, (*SUPPORTED_BACKENDS, "postgres"), n=1, cutoff=0.6)
        if close:
            scheme = "postgresql" if close[0] == "postgres" else close[0]
            suggestion = scheme + text[len(backend) :]
            raise StoreError(
                f"{_shown_url(url)}: unknown database scheme {backend!r} — did you mean "
                f"{_shown_url(make_url(suggestion))}?"
            )
        raise StoreError(f"{_shown_url(url)}: unknown database scheme {backend!r} ({USE})")
    return url


def _dialect_installed(url: URL) -> bool:
    try:
        url.get_dialect()
    except (NoSuchModuleError, ImportError):
        return False
    return True


def sqlite_file(url: URL | str) -> Path | None:
    """The file of a SQLite database; None for an in-memory one (no path, :memory:, mode=memory) and for
    other databases. The one answer to "is this a SQLite file?" (the run lock, `roadmap db`, the engine)."""
    if isinstance(url, str) and (plain := plain_sqlite_file(url)) is not None:
        return plain  # read without SQLAlchemy: see store.location
    url = make_url(url) if isinstance(url, str) else url
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database in ("", ":memory:") or url.query.get("mode") == "memory":
        return None
    if database.startswith("file:"):  # URI filename: sqlite:///file:path?uri=true
        database = database[len("file:") :].split("?", 1)[0]
    return Path(database)


def make_engine(database_url: str) -> Engine:
    """An engine with our settings applied on every new connection (SQLite only; others need none)."""
    url = parse_database_url(database_url)
    try:
        if url.get_backend_name() != "sqlite":
            return create_engine(url, pool_pre_ping=True)
        engine = create_engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        # A known scheme whose driver is not installed (postgresql+psycopg:// without psycopg).
        raise StoreError(
            f"{_shown_url(url)}: cannot use this database: {error} (install the driver the URL names, or "
            "use sqlite:///path/to/roadmap.db)"
        ) from error
    _configure_sqlite(engine)
    return engine


def _shown_url(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when a transaction begins (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if sqlite_file(engine.url) is not None:
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
        _migrate(engine, command.upgrade, revision, "upgrade")
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

    _migrate(engine, command.downgrade, revision, "downgrade")


def _migrate(engine: Engine, step: Any, revision: str, verb: str) -> None:
    """Run an alembic command (upgrade or downgrade) to `revision` in one transaction."""
    try:
        with engine.connect() as connection:
            connection.execution_options(write=True)
            with foreign_keys_deferred(connection):
                step(_alembic_config(connection), revision)
                connection.commit()
    except SQLAlchemyError as error:
        raise StoreError(f"{_shown(engine)}: cannot {verb} the schema: {_reason(error)}") from error


def open_store(database_url: str | None, catalogue_dir: Path) -> Engine:
    """The engine of the store, its schema at the newest revision (created if the file is new)."""
    url = resolve_database_url(database_url, catalogue_dir)
    engine = make_engine(url)
    database = sqlite_file(engine.url)
    if database is not None:
        try:
            database.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"{database}: cannot create its directory: {error.strerror}") from error
    # Most commands find the schema current: check without taking the write lock a crawler may hold, and
    # without importing alembic (80 ms of start-up) when the migration files and the database agree.
    head = _head_on_disk()
    if head is not None and (_schema_is_current(engine, head) or _created_new(engine, head)):
        return engine
    if current_revision(engine) != head_revision():
        upgrade(engine)
    return engine


def _created_new(engine: Engine, head: str) -> bool:
    """A database without a table gets the newest schema at once, from the models, stamped with the newest
    revision: what alembic's own recipe for a new database does (create_all, then stamp head), and what
    the migrations build (tests/store/test_migrations.py compares the two). It spares a first run
    alembic's import (it brings Mako and Pygments: 1 s of CPU on a slow core, taken from the crawl the
    store opens beside). head: the newest revision, read from the files. False, changing nothing, when
    the database has tables: the migrations decide."""
    from sqlmodel import SQLModel

    import pipeline.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)

    try:
        with engine.connect() as connection:
            connection.execution_options(write=True)
            if inspect(connection).get_table_names():
                return False
            SQLModel.metadata.create_all(connection)
            _ALEMBIC_VERSION.create(connection)
            connection.execute(_ALEMBIC_VERSION.insert().values(version_num=head))
            connection.commit()
    except SQLAlchemyError:
        return False  # another process created it meanwhile, or it cannot be written: the full path says
    return True


# alembic's own table of the stamped revision, as its MigrationContext defines it.
_ALEMBIC_VERSION = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


# A migration's own `revision = "0007"` and `down_revision = "0006"` lines (alembic's template).
_REVISION_LINE = re.compile(
    r"""^(revision|down_revision)\b[^=\n]*=\s*(?:"([^"\n]*)"|'([^'\n]*)'|None)\s*$""", re.M
)


def _head_on_disk() -> str | None:
    """The newest revision, read from the migration files' revision lines; None when they say anything
    this reading does not cover (a merge or branch, another way of writing the lines): alembic decides."""
    names, parents = set(), set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = {key: a or b for key, a, b in _REVISION_LINE.findall(path.read_text(encoding="utf-8"))}
        if "revision" not in found or "down_revision" not in found:
            return None
        names.add(found["revision"])
        parents.add(found["down_revision"])
    heads = names - parents
    return heads.pop() if len(heads) == 1 else None


def _schema_is_current(engine: Engine, head: str) -> bool:
    """Whether the database's one stored revision is head, the newest on disk (False when unsure)."""
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return False
            stored = connection.execute(sql_text("SELECT version_num FROM alembic_version")).scalars().all()
    except SQLAlchemyError:
        return False  # the full check says what is wrong
    return stored == [head]


def _shown(engine: Engine) -> str:
    return _shown_url(engine.url)


def _reason(error: SQLAlchemyError) -> str:
    original = getattr(error, "orig", None)
    return str(original or error).splitlines()[0]
