"""Where the store is: the database URL a command uses and, when that URL is a plain SQLite file URL,
the file, all without importing SQLAlchemy (0.15 s), so that `roadmap check` takes its run lock before
its first request (a refused run fetches nothing) and still sends that request at once.

    resolve_database_url(flag, catalogue_dir) -> str     the flag, else $ROADMAP_DATABASE_URL, else the file
                                                         beside the catalogue
    plain_sqlite_file(url) -> Path | None                sqlite:///path with nothing else in it: its file;
                                                         None for any other URL (store.engine.sqlite_file
                                                         reads it with SQLAlchemy's parser)
"""

from __future__ import annotations

import os
import re
from pathlib import Path

DATABASE_FILE = "roadmap.db"
DATABASE_ENV = "ROADMAP_DATABASE_URL"

# No query, fragment, percent-escape, user or host, and not :memory: or a file: URI: the form whose file
# is the path as written, and the one every default and example uses (tests/store/test_location.py
# holds this reading to SQLAlchemy's).
_PLAIN_SQLITE = re.compile(r"sqlite(?:\+pysqlite)?:///(?!:memory:$|file:)([^?#%@\s][^?#%@]*)")


def default_database_url(catalogue_dir: Path) -> str:
    """A SQLite file in the list repository (the catalogue directory's parent); *.db is git-ignored."""
    return f"sqlite:///{(Path(catalogue_dir).resolve().parent / DATABASE_FILE).as_posix()}"


def resolve_database_url(database_url: str | None, catalogue_dir: Path) -> str:
    """The flag wins, then $ROADMAP_DATABASE_URL, then the file beside the catalogue."""
    return database_url or os.environ.get(DATABASE_ENV) or default_database_url(catalogue_dir)


def plain_sqlite_file(database_url: str) -> Path | None:
    """The file of a plain SQLite file URL (sqlite:///relative.db, sqlite:////absolute.db); None when the
    URL is anything else, a SQLite one included: then only SQLAlchemy's parser can say."""
    plain = _PLAIN_SQLITE.fullmatch(database_url)
    return Path(plain.group(1)) if plain else None
