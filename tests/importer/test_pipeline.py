"""The whole pipeline on an imported list: validate, sync, check (on loopback), report, export, nightly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli import roadmap
from tests.crawl.helpers import html
from tests.crawl.server import LoopbackServer, reply

SOURCE = """\
# Awesome Loopback

A list whose links all point at a test server.

## Contents

- [Tools](#tools)
- [APIs](#apis)

## Tools

- [Alpha]({ok1}) - The first tool. ([Source Code]({ok2})) `MIT`
- [Beta]({gone}) - A tool that is gone.
- Group
  - [Gamma]({ok2}) - Nested under a label. ([Demo]({demo}))

## APIs

| API | Description | Auth |
|:---|:---|:---|
| [Delta]({ok3}) | An API | `apiKey` |

## License

CC0.
"""


@pytest.fixture
def imported_list(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("ROADMAP_DATABASE_URL", raising=False)
    monkeypatch.delenv("ROADMAP_CATALOGUE", raising=False)
    monkeypatch.setenv("CI", "1")
    with LoopbackServer(ips=("127.0.0.2",)) as server:
        for name in ("ok1", "ok2", "ok3"):
            server.route(f"/{name}", reply(200, html(f"Page {name}", f"<p>{name} explained. " * 300)))
        urls = {name: server.url(f"/{name}") for name in ("ok1", "ok2", "ok3", "gone", "demo")}
        source = tmp_path / "README.md"
        source.write_text(SOURCE.format(**urls), encoding="utf-8")
        catalogue = tmp_path / "list" / "catalogue"
        code, _, err = roadmap(capsys, "import", str(source), "--into", str(catalogue))
        assert (code, err) == (0, "")
        config = catalogue / "config.yaml"
        config.write_text(config.read_text() + "check:\n  host_delay_ms: 0\n  retries: 0\n")
        yield catalogue, f"sqlite:///{tmp_path / 'list.db'}", server, urls


def test_validate_sync_check_report_export_nightly(imported_list, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    catalogue, database, server, urls = imported_list
    common = ("--catalogue", str(catalogue), "--database", database)

    assert roadmap(capsys, "validate", "--allow-private-addresses", "--catalogue", str(catalogue))[0] == 0
    code, out, _ = roadmap(capsys, "sync", *common)
    assert code == 0 and "5 added" in out, out

    code, out, _ = roadmap(capsys, "check", *common, "--format", "json", "--allow-private-addresses")
    results = {r["resource_id"]: r["status"] for r in json.loads(out)["results"]}
    # "Group" is named without a link: listed, never fetched
    assert results == {"alpha": "ok", "beta": "broken", "group": "skipped", "gamma": "ok", "delta": "ok"}
    assert server.hits("/ok1") >= 1
    # Secondary links are checked too, listed on their own: a dead demo leaves Gamma itself ok.
    links = {
        r["resource_id"]: [(v["title"], v["status"]) for v in r["links"]]
        for r in json.loads(out)["results"]
        if "links" in r
    }
    assert links == {"alpha": [("Source Code", "ok")], "gamma": [("Demo", "broken")]}
    assert server.hits("/demo") >= 1

    code, _, err = roadmap(capsys, "report", *common)
    assert (code, err) == (0, "")  # failing once is not broken yet: nothing to fix
    reports = catalogue.parent / "reports"
    assert (reports / "health.md").is_file() and (reports / "index.html").is_file()
    assert "beta" in (reports / "health.json").read_text()

    code, _, err = roadmap(capsys, "export", *common)
    assert (code, err) == (0, "")
    readme = (catalogue.parent / "exports" / "README.md").read_text(encoding="utf-8")
    assert f"- [Alpha]({urls['ok1']}) - The first tool. ([Source Code]({urls['ok2']})) `MIT`\n" in readme
    assert f"- [Beta]({urls['gone']}) - A tool that is gone. · ⚠️ link failing since " in readme
    assert "- Group\n  - [Gamma]" in readme
    assert f"| [Delta]({urls['ok3']}) | An API | `apiKey` |\n" in readme
    document = json.loads((catalogue.parent / "exports" / "roadmap.json").read_text())
    assert document["schema_version"] == "1.4.0"
    delta = next(r for r in document["resources"] if r["id"] == "delta")
    assert delta["fields"] == {"Auth": "`apiKey`"} and "medium" not in delta

    code, out, err = roadmap(capsys, "nightly", *common, "--all", "--allow-private-addresses")
    assert code == 1, out + err  # Beta failed twice in a row: broken, a problem found
    readme = (catalogue.parent / "exports" / "README.md").read_text(encoding="utf-8")
    assert "A tool that is gone. · ❌ broken since " in readme
    health = (reports / "health.md").read_text(encoding="utf-8")
    assert "### Fix a secondary link (1)" in health
    assert "Demo link broken for 2 runs in a row" in health and urls["demo"] in health
