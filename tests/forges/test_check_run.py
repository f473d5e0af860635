"""The forges inside a real nightly run (CLI in-process, real SQLite, the fake forge on loopback): what is
recorded, exported and reported, what is not fetched as a page, and where the token never appears."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine

from pipeline.checkrun import CheckRequest, check_catalogue
from pipeline.model import Link
from pipeline.status import Status
from pipeline.store.sync import sync_catalogue
from tests.cli import roadmap
from tests.crawl.helpers import TEST_CHECK
from tests.factory import catalogue, resource
from tests.forges.conftest import TOKEN, forge_config
from tests.forges.fakeapi import FakeClock, FakeForge
from tests.nightly.conftest import query, write_catalogue

pytestmark = [pytest.mark.timeout(60), pytest.mark.slow]


def setup(tmp_path: Path, fake: FakeForge) -> tuple[Path, str, dict[str, str]]:
    fake.add("alice/fine", stars=1200)
    fake.add("alice/old", archived=True, pushed_at="2019-03-04T05:06:07Z", release_at=None)
    fake.add("alice/quiet", pushed_at="2020-01-01T00:00:00Z", release_at="2020-02-01T00:00:00Z")
    fake.add("alice/secret", private=True)
    fake.add("alice/before")
    fake.rename("alice/before", "bob/after")
    urls = {
        rid: f"http://{fake.host}/alice/{name}"
        for rid, name in (
            ("fine", "fine"),
            ("old", "old"),
            ("quiet", "quiet"),
            ("secret", "secret"),
            ("renamed", "before"),
            ("deleted", "gone"),
        )
    }
    urls["wiki"] = f"http://{fake.host}/alice/fine/wiki"  # a page inside a repository: fetched as a page
    catalogue = write_catalogue(tmp_path, urls)
    config_file = catalogue / "config.yaml"
    config = yaml.safe_load(config_file.read_text())
    config["forges"] = {"github": {"api_url": f"{fake.base}/github", "hosts": [fake.host]}}
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    return catalogue, f"sqlite:///{tmp_path / 'roadmap.db'}", urls


def nightly(capsys, catalogue: Path, database: str) -> tuple[int, str, str]:
    return roadmap(
        capsys,
        "nightly",
        "--all",
        "--catalogue",
        str(catalogue),
        "--database",
        database,
        "--allow-private-addresses",
        "--format",
        "json",
    )


def test_a_nightly_run_asks_the_forge_and_never_shows_the_token(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    forge: FakeForge,
) -> None:
    catalogue, database, urls = setup(tmp_path, forge)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    outputs = []
    with caplog.at_level(logging.DEBUG):
        for _ in range(2):  # deleted and private become broken on their second failing run
            code, out, err = nightly(capsys, catalogue, database)
            outputs += [out, err]
    assert code == 1, outputs

    db = tmp_path / "roadmap.db"
    rows = query(
        db,
        "SELECT resource_id, status, http_status, final_url, evidence FROM check_result "
        "WHERE run_id = (SELECT max(id) FROM check_run)",
    )
    results = {rid: (status, http, final) for rid, status, http, final, _ in rows}
    assert results == {
        "fine": ("ok", 200, None),
        "old": ("ok", 200, None),
        "quiet": ("ok", 200, None),
        "secret": ("broken", 404, None),
        "renamed": ("redirected", 301, "https://github.com/bob/after"),
        "deleted": ("broken", 404, None),
        "wiki": ("ok", 200, None),
    }
    evidence = {rid: json.loads(e) for rid, *_, e in rows}
    assert "Could not resolve to a Repository with the name 'alice/gone'" in evidence["deleted"][0]["detail"]
    # Only the page that is not a repository's home was fetched (with its host's soft-404 probe).
    assert not [
        p
        for p in forge.counters.pages
        if p.rstrip("/") in {u.split(forge.host)[1] for u in urls.values()} - {"/alice/fine/wiki"}
    ]
    assert "/alice/fine/wiki" in forge.counters.pages
    assert forge.counters.requests["graphql"] == 2  # one query a run for six repositories

    stored = dict(query(db, "SELECT url, archived FROM forge_repo WHERE answer = 'exists'"))
    assert stored[urls["old"]] == 1 and stored[urls["fine"]] == 0

    document = json.loads((tmp_path / "exports" / "roadmap.json").read_text())
    assert document["schema_version"] == "1.4.0"
    by_id = {r["id"]: r for r in document["resources"]}
    assert by_id["fine"]["repository"]["stars"] == 1200 and by_id["fine"]["repository"]["archived"] is False
    assert by_id["old"]["repository"]["archived"] is True
    assert by_id["old"]["repository"]["pushed_at"] == "2019-03-04T05:06:07Z"
    assert "repository" not in by_id["wiki"] and "repository" not in by_id["deleted"]
    assert by_id["deleted"]["health"]["broken"] is True
    assert by_id["renamed"]["health"]["final_url"] == "https://github.com/bob/after"

    quality = (tmp_path / "reports" / "quality.md").read_text()
    assert "alice/old is archived on github" in quality
    assert "alice/quiet: last push 2020-01-01, last release 2020-02-01" in quality
    assert "| fine | github: alice/fine | 1200 | no | 2026-10-01 | 2026-09-01 |" in quality
    assert "| old | github: alice/old | 42 | yes | 2019-03-04 | - |" in quality

    code, out, _ = roadmap(
        capsys, "fix", "redirects", "--dry-run", "--catalogue", str(catalogue), "--database", database
    )
    assert "https://github.com/bob/after" in out, out

    # The token: sent to the forge, and nowhere else.
    assert forge.counters.authorizations and set(forge.counters.authorizations) == {f"Bearer {TOKEN}"}
    assert TOKEN not in "".join(outputs) + out and TOKEN not in caplog.text
    connection = sqlite3.connect(db)
    try:
        dump = "\n".join(connection.iterdump())
    finally:
        connection.close()
    assert "forge_repo" in dump and TOKEN not in dump
    for path in [*tmp_path.rglob("*")]:
        if path.is_file() and path.suffix in (".json", ".md", ".html", ".yaml", ".db", ".lock"):
            assert TOKEN.encode() not in path.read_bytes(), path


def test_without_a_token_a_rate_limited_repository_is_fetched_as_a_page_not_broken(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The run uses the real clock (and its 60 s budget): the fake's window resets an hour from now.
    with FakeForge(FakeClock(time.time()), rest_limit=2) as fake:
        catalogue, database, urls = setup(tmp_path, fake)
        monkeypatch.delenv("GITHUB_TOKEN", raising=False)
        _, out, _ = nightly(capsys, catalogue, database)
        summary = json.loads(out)
        assert fake.counters.requests["github-rest"] == 2  # then the limit: no request beyond it
        rows = dict(query(tmp_path / "roadmap.db", "SELECT resource_id, status FROM check_result"))
        # Those the API did not answer were fetched as pages (the fake serves every page): never broken.
        fetched = {p.rstrip("/") for p in fake.counters.pages}
        asked = 0
        for rid, url in urls.items():
            path = url.split(fake.host)[1]
            if path in fetched:
                assert rows[rid] == "ok", rid
            else:
                asked += 1
        # The first repository asked (alice/before, in name order) took both requests: GitHub's REST answers a
        # renamed repository with a redirect to its id, and following it costs a second request.
        assert asked == 1 and rows["renamed"] == "redirected", (fetched, rows)
        assert "not asked, fetched as pages instead" in summary["run"]["message"]


def test_a_secondary_repository_link_is_asked_of_the_forge_not_fetched(
    tmp_path: Path, forge: FakeForge, engine: Engine
) -> None:
    forge.add("alice/fine")
    wiki, fine, gone = (f"http://{forge.host}/alice/{path}" for path in ("fine/wiki", "fine", "gone"))
    config = replace(forge_config(forge), check=TEST_CHECK)
    links = (Link("Source Code", fine), Link("Old code", gone))
    cat = replace(catalogue([resource("notes", url=wiki, links=links)]), config=config)
    sync_catalogue(engine, cat)
    report = asyncio.run(check_catalogue(engine, cat, CheckRequest(allow_private_addresses=True)))
    assert report.outcomes["notes"].status is Status.OK  # a wiki page: fetched as a page
    assert [(v.title, v.outcome.status, v.outcome.http_status) for v in report.links["notes"]] == [
        ("Source Code", Status.OK, 200),
        ("Old code", Status.BROKEN, 404),
    ]
    assert "/alice/fine/wiki" in forge.counters.pages
    assert not {"/alice/fine", "/alice/gone"} & {p.rstrip("/") for p in forge.counters.pages}
