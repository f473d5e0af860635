"""`roadmap sync` and `roadmap db`: exit codes and the exact text a user sees."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pipeline.errors import CatalogueError
from pipeline.model import Catalogue
from pipeline.store.engine import head_revision, make_engine, upgrade
from pipeline.store.health import resource_t
from tests.cli import roadmap
from tests.factory import catalogue, resource

sync_cli = importlib.import_module("pipeline.cli.sync")


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("ROADMAP_DATABASE_URL", raising=False)
    return f"sqlite:///{tmp_path}/store.db"


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch):
    """Stand in for load_valid_catalogue: the next sync reads this catalogue (or raises this error)."""

    def set_catalogue(value: Catalogue | Exception) -> None:
        def load(_dir: Path) -> Catalogue:
            if isinstance(value, Exception):
                raise value
            return value

        monkeypatch.setattr(sync_cli, "_load", load)

    return set_catalogue


def count(database: str) -> int:
    engine = make_engine(database)
    with engine.connect() as connection:
        n = connection.execute(select(func.count()).select_from(resource_t)).scalar_one()
    engine.dispose()
    return n


def test_sync_prints_what_it_did(capsys, database: str, serve) -> None:
    serve(catalogue([resource("a", position=10), resource("b", position=20), resource("c", position=30)]))
    code, out, err = roadmap(capsys, "sync", "--database", database)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[:3] == ["added    a", "added    b", "added    c"]
    assert lines[-1] == f"{database}: 3 added, 0 changed, 0 retired, 0 restored; 6 sections updated"

    serve(catalogue([resource("a", position=10, title="New"), resource("c", position=30)]))
    code, out, _ = roadmap(capsys, "sync", "--database", database)
    assert code == 0
    summary = f"{database}: 0 added, 1 changed, 1 retired, 0 restored; 0 sections updated"
    assert out == f"changed  a\nretired  b\n{summary}\n"

    serve(
        catalogue(
            [resource("a", position=10, title="New"), resource("b", position=20), resource("c", position=30)]
        )
    )
    code, out, _ = roadmap(capsys, "sync", "--database", database)
    assert out == f"restored b\n{database}: 0 added, 0 changed, 0 retired, 1 restored; 0 sections updated\n"

    code, out, _ = roadmap(capsys, "sync", "--database", database)
    assert (code, out) == (0, "nothing to do: the database matches the catalogue\n")


def test_invalid_catalogue_exits_2_and_changes_nothing(capsys, database: str, serve) -> None:
    serve(catalogue([resource("a")]))
    roadmap(capsys, "sync", "--database", database)
    serve(CatalogueError("catalogue/resources/b.yaml:3:1: 'title' is required"))
    code, out, err = roadmap(capsys, "sync", "--database", database)
    assert (code, out) == (2, "")
    assert err == "roadmap: error: catalogue/resources/b.yaml:3:1: 'title' is required\n"
    assert count(database) == 1


def test_invalid_catalogue_never_creates_the_database(capsys, tmp_path: Path, database: str, serve) -> None:
    serve(CatalogueError("catalogue/sections.yaml: missing"))
    code, _, _ = roadmap(capsys, "sync", "--database", database)
    assert code == 2
    assert not (tmp_path / "store.db").exists()


def test_real_catalogue_syncs(capsys, database: str, repo_root: Path) -> None:
    code, out, _ = roadmap(
        capsys, "sync", "--catalogue", str(repo_root / "catalogue"), "--database", database
    )
    assert code == 0 and " added, 0 changed, 0 retired, 0 restored" in out
    code, out, _ = roadmap(
        capsys, "sync", "--catalogue", str(repo_root / "catalogue"), "--database", database
    )
    assert out == "nothing to do: the database matches the catalogue\n"


def test_db_upgrade_and_current(capsys, database: str) -> None:
    head = head_revision()
    assert roadmap(capsys, "db", "current", "--database", database) == (
        0,
        f"{database}: no database yet (the newest revision is {head})\n",
        "",
    )
    upgrade(database, "0001")
    assert roadmap(capsys, "db", "current", "--database", database)[1] == (
        f"{database}: revision 0001; the newest is {head}: run `roadmap db upgrade`\n"
    )
    assert roadmap(capsys, "db", "upgrade", "--database", database)[:2] == (
        0,
        f"{database}: upgraded from 0001 to revision {head}\n",
    )
    assert roadmap(capsys, "db", "upgrade", "--database", database)[1] == (
        f"{database}: already at the newest revision {head}\n"
    )
    assert (
        roadmap(capsys, "db", "current", "--database", database)[1]
        == f"{database}: revision {head} (the newest)\n"
    )


def test_db_upgrade_of_an_unusable_database_is_one_line(capsys, tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()
    code, out, err = roadmap(capsys, "db", "upgrade", "--database", f"sqlite:///{tmp_path}/dir.db")
    assert (code, out) == (2, "")
    assert err == (
        f"roadmap: error: sqlite:///{tmp_path}/dir.db: cannot read the schema revision: "
        "unable to open database file\n"
    )


@pytest.mark.parametrize("args", [["sync", "--help"], ["db", "--help"], ["db", "upgrade", "--help"]])
def test_help_shows_an_example(capsys, args: list[str]) -> None:
    code, out, _ = roadmap(capsys, *args)
    assert code == 0 and ("Example:" in out or "Examples:" in out)


def test_invalid_yaml_catalogue_changes_nothing(
    capsys, tmp_path: Path, database: str, repo_root: Path
) -> None:
    import hashlib
    import shutil

    catalogue_dir = tmp_path / "catalogue"
    shutil.copytree(repo_root / "catalogue", catalogue_dir)
    assert roadmap(capsys, "sync", "--catalogue", str(catalogue_dir), "--database", database)[0] == 0

    def dump() -> str:
        engine = make_engine(database)
        with engine.connect() as connection:
            text = "".join(line for line in connection.connection.dbapi_connection.iterdump())
        engine.dispose()
        return hashlib.sha256(text.encode()).hexdigest()

    before = dump()
    first = sorted((catalogue_dir / "resources").glob("*.yaml"))[0]
    (catalogue_dir / "resources" / "new-entry.yaml").write_text(
        first.read_text().replace(first.stem, "new-entry")
    )
    first.write_text(first.read_text().replace("\ntitle:", "\nheadline:"))  # an unknown key, no title
    code, out, err = roadmap(capsys, "sync", "--catalogue", str(catalogue_dir), "--database", database)
    assert (code, out) == (2, "")
    assert err.startswith(f"roadmap: error: {first}:") and "\n" not in err.rstrip("\n")
    assert dump() == before


def _garbage(tmp_path: Path) -> str:
    (tmp_path / "garbage.db").write_bytes(bytes(range(256)) * 20)
    return f"sqlite:///{tmp_path}/garbage.db"


def _future(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/future.db"
    upgrade(url)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    engine.dispose()
    return url


UNUSABLE = [
    pytest.param(
        _garbage,
        ["sync"],
        "{url}: cannot read the schema revision: file is not a database",
        id="garbage-bytes-sync",
    ),
    pytest.param(
        _garbage,
        ["db", "current"],
        "{url}: cannot read the schema revision: file is not a database",
        id="garbage-bytes-current",
    ),
    pytest.param(
        _future,
        ["sync"],
        "{url}: cannot upgrade the schema: Can't locate revision identified by '9999' (was it written by a "
        "newer version of roadmap? upgrade the tool)",
        id="future-revision-sync",
    ),
    pytest.param(
        _future,
        ["db", "current"],
        "{url}: revision 9999 is unknown to this version of roadmap (the newest it knows is {head}); the "
        "database was written by a newer version: upgrade the tool",
        id="future-revision-current",
    ),
    pytest.param(
        lambda _tmp: "bogus://",
        ["sync"],
        "bogus://: unknown database scheme 'bogus' (use sqlite:///path/to/roadmap.db or "
        "postgresql://user@host/database)",
        id="unknown-url-scheme",
    ),
    # Issue 10 §4: a near miss gets a did-you-mean, never "install the driver".
    pytest.param(
        lambda _tmp: "sqlit:///roadmap.db",
        ["sync"],
        "sqlit:///roadmap.db: unknown database scheme 'sqlit' — did you mean sqlite:///roadmap.db?",
        id="misspelt-sqlite",
    ),
    pytest.param(
        lambda _tmp: "postgress://roadmap:secret@db.example/roadmap",
        ["db", "current"],
        "postgress://roadmap:***@db.example/roadmap: unknown database scheme 'postgress' — did you mean "
        "postgresql://roadmap:***@db.example/roadmap?",
        id="misspelt-postgresql",
    ),
    pytest.param(
        lambda _tmp: "roadmap.db",
        ["sync"],
        "roadmap.db: not a database URL — did you mean sqlite:///roadmap.db? (a SQLite file is sqlite:/// "
        "then its path)",
        id="bare-path",
    ),
    pytest.param(
        lambda _tmp: "sqlite://roadmap.db",
        ["db", "upgrade"],
        "sqlite://roadmap.db: a SQLite URL has three slashes before a relative path and four before an "
        "absolute one — did you mean sqlite:///roadmap.db?",
        id="two-slashes",
    ),
]


@pytest.mark.parametrize(("make", "args", "message"), UNUSABLE)
def test_an_unusable_database_is_one_line_exit_2(
    capsys, tmp_path: Path, database: str, serve, make, args: list[str], message: str
) -> None:
    serve(catalogue([resource("a")]))
    url = make(tmp_path)
    code, out, err = roadmap(capsys, *args, "--database", url)
    assert (code, out) == (2, "")
    assert err == f"roadmap: error: {message.format(url=url, head=head_revision())}\n"


def test_a_read_only_database_is_one_line_exit_2(capsys, tmp_path: Path, database: str, serve) -> None:
    serve(catalogue([resource("a")]))
    assert roadmap(capsys, "sync", "--database", database)[0] == 0
    serve(catalogue([resource("a"), resource("b")]))
    # mode=ro makes SQLite refuse writes whoever runs the test (root ignores file permissions).
    read_only = f"sqlite:///file:{tmp_path}/store.db?mode=ro&uri=true"
    code, out, err = roadmap(capsys, "sync", "--database", read_only)
    assert (code, out) == (2, "")
    assert err == (
        f"roadmap: error: sqlite:///file%3A{tmp_path}/store.db?mode=ro&uri=true: cannot write: attempt to "
        "write a readonly database (check that the file and its folder are writable by this user)\n"
    )
    assert count(database) == 1
