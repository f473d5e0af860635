"""One run at a time: `roadmap nightly`, `roadmap check` and the scheduler's job take this lock on the
database before they write health, so two crawls never interleave their results.

A lock left by a killed run must never block the next one, so the lock is one the operating system or
the database server drops by itself when its holder dies:

- SQLite file database: an exclusive `flock` on a lock file beside the database (`roadmap.db.lock`). The
  kernel releases it when the holding process exits, however it exits (kill -9 included). The holder's
  pid, command and start time are written into the file only to make the "in use" message useful; they
  are never trusted to decide anything.
- Other databases (PostgreSQL): a session-level advisory lock, which the server releases when the
  holder's connection goes away.
- An in-memory SQLite database belongs to one process: nothing to lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.clock import isoformat, utcnow
from pipeline.errors import LockedError, StoreError
from pipeline.store.location import plain_sqlite_file

if TYPE_CHECKING:  # SQLAlchemy is imported where a URL must be parsed: a plain SQLite file needs none
    from sqlalchemy import Connection, Engine
    from sqlalchemy.engine import URL

# Two int4 keys (pg_try_advisory_lock(int, int)) so the holder can be found in pg_locks by classid/objid.
PG_LOCK_CLASS = 0x726D6170  # "rmap"
# What a lock is for: "run" (a check or nightly run) or "schedule" (one `roadmap schedule` per database).
PURPOSES = {"run": ("lock", 1), "schedule": ("schedule.lock", 2)}  # lock file suffix, second PG key


_OTHER = {"run": "another run", "schedule": "another `roadmap schedule`"}


@dataclass(frozen=True)
class LockHolder:
    """Who holds (or now holds) the run lock, for messages."""

    pid: int | None
    since: str | None  # RFC 3339, UTC
    command: str | None
    where: str  # the lock file, or "advisory lock on <database>"

    def describe(self) -> str:
        parts = []
        if self.pid is not None:
            parts.append(f"pid {self.pid}")
        if self.command:
            parts.append(self.command)
        if self.since:
            parts.append(f"since {self.since}")
        return ", ".join(parts) or "holder unknown"


def lock_path_for(url: URL | str, purpose: str = "run") -> Path | None:
    """The lock file beside a SQLite file database; None for in-memory SQLite and other databases."""
    from pipeline.store.engine import sqlite_file

    database = sqlite_file(url)
    if database is None:
        return None
    return _lock_file(database, purpose)


def _lock_file(database: Path, purpose: str) -> Path:
    return database.with_name(f"{database.name}.{PURPOSES[purpose][0]}")


@contextmanager
def run_lock(
    target: str | URL | Engine, *, command: str = "roadmap", purpose: str = "run"
) -> Iterator[LockHolder]:
    """Hold the run lock on the database for the duration of the block.

    Raises LockedError at once (never waits) when another process holds it, naming the holder.
    `command` is recorded for that message, e.g. "roadmap nightly". purpose "schedule" is a separate
    lock that one `roadmap schedule` process holds for its whole life.
    A plain SQLite file URL (store.location) is locked without importing SQLAlchemy.
    """
    if isinstance(target, str) and (database := plain_sqlite_file(target)) is not None:
        with _file_lock(_lock_file(database, purpose), command, purpose) as holder:
            yield holder
        return
    from sqlalchemy import Engine
    from sqlalchemy.engine import URL

    from pipeline.store.engine import make_engine, parse_database_url

    if isinstance(target, Engine):
        url = target.url
    else:
        url = target if isinstance(target, URL) else parse_database_url(target)
    path = lock_path_for(url, purpose)
    if path is not None:
        with _file_lock(path, command, purpose) as holder:
            yield holder
    elif url.get_backend_name() == "sqlite":
        yield LockHolder(pid=os.getpid(), since=isoformat(utcnow()), command=command, where="in-memory")
    else:
        engine = (
            target if isinstance(target, Engine) else make_engine(url.render_as_string(hide_password=False))
        )
        try:
            with _advisory_lock(engine, command, purpose) as holder:
                yield holder
        finally:
            if engine is not target:  # ours: close its pooled connection now, not at garbage collection
                engine.dispose()


@contextmanager
def _file_lock(path: Path, command: str, purpose: str) -> Iterator[LockHolder]:
    if not path.parent.is_dir():
        # The database directory does not exist yet: the store will create it; so may we.
        path.parent.mkdir(parents=True, exist_ok=True)
    # O_CLOEXEC (Python's default) keeps the lock out of child processes: it dies with us alone.
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd, path)
            database = path.with_name(path.name.removesuffix("." + PURPOSES[purpose][0]))
            raise LockedError(
                f"{database} is in use by {_OTHER[purpose]} ({holder.describe()}); "
                f"wait for it to finish or stop that process (lock file: {path})"
            ) from None
        holder = LockHolder(pid=os.getpid(), since=isoformat(utcnow()), command=command, where=str(path))
        record = json.dumps({"pid": holder.pid, "since": holder.since, "command": holder.command})
        os.ftruncate(fd, 0)
        os.pwrite(fd, (record + "\n").encode(), 0)
        try:
            yield holder
        finally:
            # Empty the file before unlocking so a later reader never names a finished run.
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read_holder(fd: int, path: Path) -> LockHolder:
    """What the holder wrote; it may be mid-write or gone, so anything unreadable is just unknown."""
    try:
        raw = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
        data = json.loads(raw) if raw else {}
    except (OSError, ValueError):
        data = {}
    pid = data.get("pid") if isinstance(data.get("pid"), int) else None
    since = data.get("since") if isinstance(data.get("since"), str) else None
    command = data.get("command") if isinstance(data.get("command"), str) else None
    return LockHolder(pid=pid, since=since, command=command, where=str(path))


# PostgreSQL keeps at most 63 bytes of application_name; the holder's pid is kept whole at its end.
_APPLICATION_NAME_MAX = 63
_APPLICATION_NAME = re.compile(r"^(?P<command>.*) \[pid (?P<pid>\d+)\]$", re.DOTALL)


def _application_name(command: str) -> str:
    """What pg_stat_activity shows for the lock's session, so a refused run can name the holder."""
    suffix = f" [pid {os.getpid()}]"
    room = _APPLICATION_NAME_MAX - len(suffix.encode())
    # Non-ASCII is cut by bytes, never mid-character.
    return command.encode()[:room].decode("utf-8", "ignore") + suffix


@contextmanager
def _advisory_lock(engine: Engine, command: str, purpose: str) -> Iterator[LockHolder]:
    """PostgreSQL session advisory lock on a connection held open for the whole run.

    The server drops it when the session ends, however the holder died (tests/nightly/test_lock_postgres.py
    kills one). Advisory locks are per database, like the lock file beside a SQLite database.
    """
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    key1, key2 = PG_LOCK_CLASS, PURPOSES[purpose][1]
    database = engine.url.render_as_string(hide_password=True)
    where = f"advisory lock ({key1}, {key2}) on {database}"
    try:
        connection = engine.connect()
    except OperationalError as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise StoreError(f"{database}: cannot connect to take the run lock: {reason}") from error
    with connection:
        got = connection.execute(text("SELECT pg_try_advisory_lock(:k1, :k2)"), {"k1": key1, "k2": key2})
        if not got.scalar():
            holder = _advisory_holder(connection, key1, key2, where)
            raise LockedError(
                f"{database} is in use by {_OTHER[purpose]} ({holder.describe()}); "
                f"wait for it to finish or stop that process ({where})"
            )
        # Session level: survives this commit; state_change below then marks when the lock was taken.
        connection.execute(
            text("SELECT set_config('application_name', :name, false)"), {"name": _application_name(command)}
        )
        connection.commit()
        try:
            yield LockHolder(pid=os.getpid(), since=isoformat(utcnow()), command=command, where=where)
        finally:
            # The connection goes back to the pool: leave it as it was found.
            connection.rollback()
            connection.execute(text("SELECT pg_advisory_unlock(:k1, :k2)"), {"k1": key1, "k2": key2})
            connection.execute(text("RESET application_name"))
            connection.commit()


def _advisory_holder(connection: Connection, key1: int, key2: int, where: str) -> LockHolder:
    """Who holds the advisory lock, from pg_locks and pg_stat_activity (columns another role may not see
    are NULL: then the holder is partly unknown, never a failure)."""
    from sqlalchemy import text

    row = connection.execute(
        text(
            "SELECT a.pid, a.state_change, a.application_name FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND l.classid = :k1 AND l.objid = :k2 AND l.objsubid = 2"
        ),
        {"k1": key1, "k2": key2},
    ).first()
    if row is None:  # released between our attempt and this query
        return LockHolder(pid=None, since=None, command=None, where=where)
    backend_pid, state_change, application_name = row
    # timestamptz arrives in the session's time zone: convert, never just drop the offset.
    since = isoformat(state_change.astimezone(UTC).replace(tzinfo=None)) if state_change else None
    named = _APPLICATION_NAME.match(application_name or "")
    if named:
        return LockHolder(pid=int(named["pid"]), since=since, command=named["command"], where=where)
    command = f"server backend {backend_pid}" + (f", {application_name}" if application_name else "")
    return LockHolder(pid=None, since=since, command=command, where=where)
