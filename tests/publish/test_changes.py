"""The changelog (reports/changes.md) and its Atom feed (reports/changes.atom), derived from the store's
history: added, removed, moved, newly broken, recovered; newest first; the same history, the same bytes.

The feed is checked as Atom twice: structurally with a real XML parser (lxml: RFC 4287's required
elements, one each, ids unique, RFC 3339 times) and by feedparser, which must read it as Atom 1.0 without
complaint."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from pipeline.config import Config, PublishConfig
from pipeline.publish.changes import list_changes, render_changes
from pipeline.publish.export import ExportPaths, render_exports
from pipeline.publish.reports import build_health_report, write_reports
from pipeline.store.history import change_facts
from pipeline.store.sync import sync_catalogue
from tests.factory import (
    T0,
    days,
    default_resources,
    make_catalogue,
    make_store,
    record_run,
    resource,
)

ATOM = "{http://www.w3.org/2005/Atom}"


def catalogue_b(config: Config | None = None):
    """The factory catalogue a day later: one resource added, one removed, one moved to a new URL."""
    resources = []
    for r in default_resources():
        if r.id == "distill-pub":
            continue
        if r.id == "immersive-math":
            r = resource(
                r.id,
                r.section,
                r.position,
                title=r.title,
                medium=r.medium,
                url="https://immersivemath.com/ila/",
            )
        resources.append(r)
    resources.append(resource("new-one", "datasets", 30, title="A New Dataset", medium="dataset"))
    return make_catalogue(tuple(resources), config)


def all_ok(catalogue, **overrides):
    return {r.id: overrides.get(r.id, "ok") for r in catalogue.resources if r.url}


@pytest.fixture
def history(tmp_path: Path):
    a = make_catalogue()
    engine = make_store(tmp_path, a)
    b = catalogue_b()
    record_run(engine, a, T0, all_ok(a))  # 1: the baseline
    sync_catalogue(engine, b, now=T0 + days(0.5))
    record_run(engine, b, T0 + days(1), all_ok(b, **{"essence-of-calculus": "broken"}))  # 2
    record_run(engine, b, T0 + days(2), all_ok(b, **{"essence-of-calculus": "broken"}))  # 3: broken
    record_run(engine, b, T0 + days(3), all_ok(b), conclusion="inconclusive")  # 4: says nothing
    record_run(engine, b, T0 + days(4), all_ok(b))  # 5: recovered
    yield engine, b
    engine.dispose()


def summary(entries) -> list[tuple[int, list[tuple[str, list[str]]]]]:
    return [(e.run_id, [(kind, [c.id for c in changes]) for kind, changes in e.groups]) for e in entries]


def test_what_each_run_changed_newest_first(history) -> None:
    engine, b = history
    sections = {s.id: s.title for s in b.sections}
    entries = list_changes(change_facts(engine, 100), 2, sections)
    assert summary(entries) == [
        (5, [("recovered", ["essence-of-calculus"])]),
        (3, [("broken", ["essence-of-calculus"])]),
        (2, [("added", ["new-one"]), ("removed", ["distill-pub"]), ("moved", ["immersive-math"])]),
    ]
    moved = entries[2].groups[2][1][0]
    assert (moved.url, moved.detail) == (
        "https://immersivemath.com/ila/",
        "was http://immersivemath.com/ila/index.html",
    )
    assert entries[1].groups[0][1][0].detail == "broken (HTTP 404)"
    assert entries[2].groups[1][1][0].section == "Visual Algorithm Explainers"
    assert entries[0].summary() == "1 recovered"


def test_broken_after_decides_newly_broken(history) -> None:
    engine, _ = history
    entries = list_changes(change_facts(engine, 100), 1, {})
    assert [e.run_id for e in entries if any(k == "broken" for k, _ in e.groups)] == [2]


def test_a_run_that_changed_nothing_changes_no_byte(history, tmp_path: Path) -> None:
    engine, b = history
    written = write_reports(build_health_report(b, engine), tmp_path / "r1")
    assert [p.name for p in written][-2:] == ["changes.md", "changes.atom"]
    before = {p.name: p.read_bytes() for p in written}
    assert (
        write_reports(build_health_report(b, engine), tmp_path / "r2")
        and {p.name: p.read_bytes() for p in (tmp_path / "r2").iterdir()} == before
    )
    record_run(engine, b, T0 + days(5), all_ok(b))  # 6: nothing changed
    again = render_changes(build_health_report(b, engine))
    assert again["changes.md"].encode() == before["changes.md"]
    assert again["changes.atom"].encode() == before["changes.atom"]


def test_changes_md(history) -> None:
    engine, b = history
    text = render_changes(build_health_report(b, engine))["changes.md"]
    assert text.startswith(
        "# ML Math Roadmap: changes\n\n"
        "Newest first: each check of the list that changed something for its readers (resources added, "
        "removed or\nmoved, links newly broken or recovered). Follow it as an Atom feed: "
        "[changes.atom](changes.atom).\n\n"
        "## 2026-11-24 · run #5\n"
        '<a id="run-5"></a>\n\n'
        "**Recovered** (1)\n\n"
        "- [3Blue1Brown: Essence of Calculus](https://example.org/essence-of-calculus) · "
        "Stage 2 — Calculus & Optimisation — ok (HTTP 200)\n"
    )
    assert "**Moved (URL updated)** (1)\n\n- [Immersive Math" in text
    assert "— was http://immersivemath.com/ila/index.html" in text
    assert text.index("run #5") < text.index("run #3") < text.index("run #2")


def test_the_feed_is_valid_atom(history) -> None:
    import feedparser
    from lxml import etree

    engine, b = history
    xml = render_changes(build_health_report(b, engine))["changes.atom"]
    root = etree.fromstring(xml.encode("utf-8"))
    assert root.tag == f"{ATOM}feed"

    def one(element, name: str) -> str:
        found = element.findall(f"{ATOM}{name}")
        assert len(found) == 1, f"{name}: {len(found)}"
        return found[0].text or found[0].get("href") or ""

    assert one(root, "id") == "urn:roadmap:ml-math-roadmap:changes"
    assert one(root, "title") == "ML Math Roadmap: changes"
    assert one(root, "updated") == "2026-11-24T03:00:00+00:00"
    assert root.find(f"{ATOM}author/{ATOM}name").text == "ML Math Roadmap"
    entries = root.findall(f"{ATOM}entry")
    assert [one(e, "id") for e in entries] == [
        "urn:roadmap:ml-math-roadmap:changes:run:5",
        "urn:roadmap:ml-math-roadmap:changes:run:3",
        "urn:roadmap:ml-math-roadmap:changes:run:2",
    ]
    for entry in entries:
        datetime.fromisoformat(one(entry, "updated"))  # RFC 3339
        assert one(entry, "title")
        [link] = entry.findall(f"{ATOM}link")
        assert link.get("rel") in (None, "alternate") and link.get("href").startswith("changes.md#run-")
        assert entry.find(f"{ATOM}content").get("type") == "html"

    parsed = feedparser.parse(xml)
    assert parsed.version == "atom10"
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert [e.title for e in parsed.entries] == [
        "2026-11-24: 1 recovered",
        "2026-11-22: 1 newly broken",
        "2026-11-21: 1 added, 1 removed, 1 moved (url updated)",
    ]
    assert "A New Dataset" in parsed.entries[2].content[0].value


def test_base_url_makes_absolute_links(history) -> None:
    engine, _ = history
    config = Config(publish=PublishConfig(base_url="https://github.com/o/r/blob/main/"))
    report = build_health_report(catalogue_b(config), engine, config)
    xml = render_changes(report)["changes.atom"]
    assert "<id>https://github.com/o/r/blob/main/reports/changes.atom</id>" in xml
    assert 'href="https://github.com/o/r/blob/main/reports/changes.md#run-5"' in xml


def test_no_history_no_entries() -> None:
    from pipeline.publish.data import HealthData

    report = build_health_report(make_catalogue(), HealthData({}))
    files = render_changes(report)
    assert files["changes.md"].endswith("\nNothing has changed yet.\n")
    assert "<updated>1970-01-01T00:00:00+00:00</updated>" in files["changes.atom"]


@pytest.mark.parametrize("status_line", [False, True])
def test_readme_status_line(tmp_path: Path, status_line: bool) -> None:
    config = Config(publish=PublishConfig(status_line=status_line))
    catalogue = make_catalogue(config=config)
    paths = ExportPaths(tmp_path / "exports" / "README.md", tmp_path / "exports" / "roadmap.json")
    readme = render_exports(catalogue, {}, paths, generated_at=T0, config=config)[paths.readme].decode()
    last = readme.rstrip("\n").splitlines()[-1]
    if status_line:
        assert last == (
            "<sub>Last checked 2026-11-20 · [status page](reports/index.html) · "
            "[changes](reports/changes.md)</sub>"
        )
    else:
        assert last == "<sub>Links last checked on 2026-11-20.</sub>"


def test_readme_status_line_with_a_base_url_links_the_published_pages(tmp_path: Path) -> None:
    config = Config(publish=PublishConfig(status_line=True, base_url="https://example.org/list/"))
    catalogue = make_catalogue(config=config)
    paths = ExportPaths(tmp_path / "exports" / "README.md", tmp_path / "exports" / "roadmap.json")
    readme = render_exports(catalogue, {}, paths, generated_at=T0, config=config)[paths.readme].decode()
    assert readme.rstrip("\n").splitlines()[-1] == (
        "<sub>Last checked 2026-11-20 · [status page](https://example.org/list/reports/index.html) · "
        "[changes](https://example.org/list/reports/changes.md)</sub>"
    )


def test_an_imported_list_carries_the_status_line_too(tmp_path: Path) -> None:
    from dataclasses import replace

    from pipeline.importer import import_list
    from pipeline.publish.export import render_readme
    from pipeline.validate import load_valid_catalogue

    source = tmp_path / "README.md"
    source.write_text("# Awesome Things\n\n## Tools\n\n- [Thing](https://example.org/thing) - Does it.\n")
    import_list(source, tmp_path / "list" / "catalogue")
    catalogue = load_valid_catalogue(tmp_path / "list" / "catalogue")
    links = {"status_page": "reports/index.html", "changes": "reports/changes.md"}
    plain = render_readme(catalogue, {}, generated_at=T0, status_links=links)
    assert "status page" not in plain  # off unless the list's config says so
    config = replace(catalogue.config, publish=PublishConfig(status_line=True))
    readme = render_readme(catalogue, {}, config, generated_at=T0, status_links=links)
    assert readme.startswith(plain.rstrip("\n"))
    assert readme.rstrip("\n").splitlines()[-1] == (
        "<sub>Last checked 2026-11-20 · [status page](reports/index.html) · "
        "[changes](reports/changes.md)</sub>"
    )


def test_added_and_removed_between_two_runs_is_no_news() -> None:
    from types import SimpleNamespace

    from pipeline.store.history import ChangeFacts, ResourceInfo

    runs = [SimpleNamespace(id=n, started_at=T0 + days(n), finished_at=T0 + days(n)) for n in (1, 2, 3)]
    known = {
        "brief": ResourceInfo("brief", "Brief", None, "datasets", T0 + days(1.6), T0 + days(1.5)),
        "late": ResourceInfo("late", "Late", None, "datasets", None, T0 + days(2.5)),
        "gone": ResourceInfo("gone", "Gone", None, "datasets", T0 + days(2.2), T0),
        "old": ResourceInfo("old", "Old", None, "datasets", None, T0 + days(1)),  # there at the baseline
    }
    entries = list_changes(ChangeFacts(runs, {}, known), 2, {})
    assert summary(entries) == [(3, [("added", ["late"]), ("removed", ["gone"])])]
