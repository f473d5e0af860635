"""The links of the list's own text (its introduction, a section's prose, the prose before an entry):
checked after the entries in every run that is not about chosen resources, recorded with the run
(check_run.links), listed by `check`, and reported under "Fix a link in the list's text" once dead
`broken_after` complete runs in a row. They are no entry's: no resource's health or result holds them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import textwrap
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from pipeline.catalogue.textlinks import ListLink, list_links, secondary_links
from pipeline.checkrun import CheckReport, CheckRequest, check_catalogue
from pipeline.cli.check import exit_code, render_json, render_text
from pipeline.model import Catalogue
from pipeline.nightly import Attention, who_needs_a_human
from pipeline.publish.reports import build_health_report
from pipeline.store.models import CheckResult, CheckRun
from pipeline.store.sync import sync_catalogue
from tests.crawl.server import LoopbackServer, reply
from tests.test_secondary_links import DEMO, MAIN, links_catalogue, site
from tests.validate.fixtures import cli  # noqa: F401

GUIDE = "https://intro.example/guide"
INTRO_DEAD = "https://intro.example/gone"
OLD_LIST = "https://prose.example/old-list"
LICENSE = "https://prose.example/license"
BEFORE = "https://preface.example/gone"
DEAD = {INTRO_DEAD, OLD_LIST, BEFORE}
STAGE = "Stage 1 — Linear Algebra"  # the section's title (tests.factory)


def text_catalogue() -> Catalogue:
    """links_catalogue (entries "app" and "plain" in linear-algebra, app with a Demo link) with links in
    the list's introduction, the section's prose and the prose before "plain"."""
    cat = links_catalogue()
    roadmap = replace(
        cat.roadmap,
        preamble=f"# Roadmap\n\nStart with [the guide]({GUIDE}), not [the old one]({INTRO_DEAD}).\n\n"
        f"[![badge](https://img.example/b.svg)](https://ci.example/) Try [the demo]({DEMO}).",
    )
    first, *rest = cat.sections
    first = replace(
        first,
        prose=f"Compare with [the old list]({OLD_LIST}), [the app]({MAIN}) and [the docs](docs/x.md).",
        prose_after=f"Under [the licence]({LICENSE}); see [the old list]({OLD_LIST}) again.",
    )
    app, plain = cat.resources
    plain = replace(plain, preface=f"Also, after [a retired page]({BEFORE}):")
    return replace(cat, roadmap=roadmap, sections=(first, *rest), resources=(app, plain))


def test_the_list_text_links_are_its_web_links_in_reading_order_each_once_and_no_entrys() -> None:
    assert list_links(text_catalogue()) == (
        ListLink("the guide", GUIDE),
        ListLink("the old one", INTRO_DEAD),  # not the badge, nor the demo: an entry's secondary link
        ListLink("the old list", OLD_LIST, "linear-algebra"),  # not the app's own URL, nor a relative link
        ListLink("a retired page", BEFORE, "linear-algebra", "plain"),
        ListLink("the licence", LICENSE, "linear-algebra"),  # the old list again: once
    )
    assert list_links(links_catalogue()) == ()
    # A roadmap's own text: its quality bar, a stage's goals
    cat = links_catalogue()
    first, *rest = cat.sections
    roadmap = replace(cat.roadmap, quality_bar=f"Free, and as good as [the guide]({GUIDE}).")
    goals = replace(first, goals=("Solve [these exercises](https://ex.example/la).",))
    assert list_links(replace(cat, roadmap=roadmap, sections=(goals, *rest))) == (
        ListLink("the guide", GUIDE),
        ListLink("these exercises", "https://ex.example/la", "linear-algebra"),
    )


def check(engine: Engine, cat: Catalogue, dead: set[str], request: CheckRequest | None = None) -> CheckReport:
    sync_catalogue(engine, cat)
    transport = site(dead, Counter())
    return asyncio.run(check_catalogue(engine, cat, request or CheckRequest(), transport=transport))


def stored_links(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        return list(connection.execute(select(CheckRun.links).order_by(CheckRun.id)).scalars())


def test_html_anchors_with_text_are_links_too_and_a_logo_or_code_is_not() -> None:
    cat = links_catalogue()
    roadmap = replace(
        cat.roadmap,
        preamble='<p align="center">\n  <a href="https://site.example/">Web&shy;site</a> ·\n'
        '  <a href="https://logo.example/"><img src="logo.png" alt="Logo"></a> ·\n'
        '  <a href="#contents">Contents</a>\n</p>\n\n'
        'Read <a href="https://docs.example/?a=1&amp;b=2">the <b>docs</b></a>, not `<a href="https://code.example/">x</a>`.',
    )
    app, plain = cat.resources
    plain = replace(plain, description='Its <a href="https://plain.example/api">API</a>.')
    found = list_links(replace(cat, roadmap=roadmap, resources=(app, plain)))
    assert found == (
        ListLink("Web\xadsite", "https://site.example/"),  # an HTML block's anchor; not the logo's
        ListLink("the docs", "https://docs.example/?a=1&b=2"),  # inline HTML, its entity decoded
    )
    assert [link.target for link in secondary_links(plain)] == ["https://plain.example/api"]  # an entry's


def test_they_are_checked_recorded_with_the_run_listed_and_fail_the_check(engine: Engine) -> None:
    report = check(engine, text_catalogue(), DEAD)
    assert list(report.outcomes) == ["app", "plain"]  # the entries' verdicts, and only theirs
    assert [(v.link.target, v.outcome.status.value) for v in report.list_links] == [
        (GUIDE, "ok"),
        (INTRO_DEAD, "broken"),
        (OLD_LIST, "broken"),
        (BEFORE, "broken"),
        (LICENSE, "ok"),
    ]
    [stored] = stored_links(engine)
    assert [(v["title"], v["section"], v["resource"], v["url"], v["status"]) for v in stored] == [
        ("the guide", None, None, GUIDE, "ok"),
        ("the old one", None, None, INTRO_DEAD, "broken"),
        ("the old list", "linear-algebra", None, OLD_LIST, "broken"),
        ("a retired page", "linear-algebra", "plain", BEFORE, "broken"),
        ("the licence", "linear-algebra", None, LICENSE, "ok"),
    ]
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(CheckResult)).scalar_one() == 2
    text = "\n".join(render_text(report))
    assert "links in the list's text: 5 checked: 3 broken, 2 ok" in text
    assert f"introduction    the old one     broken          {INTRO_DEAD}: http-404" in text
    assert f"linear-algebra  the old list    broken          {OLD_LIST}: http-404" in text
    assert f"before plain    a retired page  broken          {BEFORE}: http-404" in text
    assert "checked 2 resources: 2 ok" in text
    assert exit_code(report) == 1
    document = json.loads(render_json(report))
    assert [(v["url"], v["shown"]) for v in document["list_links"]][:2] == [
        (GUIDE, "ok"),
        (INTRO_DEAD, "broken"),
    ]
    assert exit_code(check(engine, text_catalogue(), set())) == 0


def test_a_dead_one_is_watched_first_then_reported_with_the_file_that_holds_it(engine: Engine) -> None:
    cat = replace(text_catalogue(), root=Path("/lists/mine/catalogue"))
    broken_after = cat.config.check.broken_after
    for run in range(1, broken_after + 1):
        check(engine, cat, {OLD_LIST, BEFORE})
        report = build_health_report(cat, engine)
        fix = next(g for g in report.actions if g.id == "fix-list-link")
        items = [
            (i.id, i.title, i.section, i.url)
            for i in (fix.items if run == broken_after else report.watch.items)
        ]
        assert items == [
            ("linear-algebra", "the old list", STAGE, OLD_LIST),
            ("plain", "a retired page", STAGE, BEFORE),
        ]
    assert [i.file for i in fix.items] == ["catalogue/sections.yaml", "catalogue/resources/plain.yaml"]
    assert (
        fix.items[0].detail
        == f"the old list link broken for {broken_after} runs in a row: http-404: HTTP 404"
    )
    assert report.needs_human == 2 and {r.id: r.state for r in report.rows} == {"app": "ok", "plain": "ok"}
    check(engine, cat, set())  # both came back
    report = build_health_report(cat, engine)
    assert next(g for g in report.actions if g.id == "fix-list-link").items == () and report.watch.items == ()


def test_only_failing_asks_again_the_failing_ones_and_chosen_resources_none(engine: Engine) -> None:
    cat = text_catalogue()
    check(engine, cat, DEAD)
    again = check(engine, cat, set(), CheckRequest(only_failing=True))
    assert [v.link.target for v in again.list_links] == [INTRO_DEAD, OLD_LIST, BEFORE]
    chosen = check(engine, cat, DEAD, CheckRequest(resource_ids=("app",), list_links=False))
    assert chosen.list_links == () and stored_links(engine)[-1] is None
    # The latest run that looked found them all working: nothing is failing
    report = build_health_report(cat, engine)
    assert report.watch.items == () and all(not g.items for g in report.actions)


def test_a_run_stopped_before_it_judged_them_all_records_none(engine: Engine) -> None:
    cat = text_catalogue()
    sync_catalogue(engine, cat)

    async def stopped() -> CheckReport:
        stop = asyncio.Event()
        stop.set()
        return await check_catalogue(engine, cat, CheckRequest(), transport=site(DEAD, Counter()), stop=stop)

    report = asyncio.run(stopped())
    assert report.interrupted and report.list_links == ()
    assert stored_links(engine) == [None]


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    running = LoopbackServer(ips=("127.0.0.7",)).start()
    yield running
    with contextlib.suppress(RuntimeError):
        running.stop()


def test_import_check_and_report_through_the_cli(tmp_path: Path, server: LoopbackServer, cli) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page = "<title>{0}</title><h1>{0}</h1>" + "<p>What the page is about, in some detail.</p>" * 30
    for path in ("/guide", "/one", "/two"):
        server.route(path, reply(200, page.format(path)))
    server.fallback["127.0.0.7"] = reply(404, "<title>404 Not Found</title><h1>Not Found</h1>")
    source = tmp_path / "list.md"
    source.write_text(
        textwrap.dedent(
            f"""\
            # Awesome Things

            Start with [the guide]({server.url("/guide")}) or [the old list]({server.url("/old-list")}).

            ## Tools

            Tools we like; see [the retired page]({server.url("/retired")}).

            - [One]({server.url("/one")}) - The first.
            - [Two]({server.url("/two")}) - The second.
            """
        ),
        encoding="utf-8",
    )
    catalogue = tmp_path / "mine" / "catalogue"
    assert cli("import", str(source), "--into", str(catalogue))[0] == 0
    database = f"sqlite:///{tmp_path / 'health.db'}"
    args = ("--catalogue", str(catalogue), "--database", database)
    for _ in range(2):  # broken_after (2) complete runs in a row
        code, out, _ = cli("check", *args, "--allow-private-addresses")
        assert code == 1
        assert "links in the list's text: 3 checked: 2 broken, 1 ok" in out
        assert "checked 2 resources: 2 ok" in out
    code, out, _ = cli("report", *args)
    assert code == 0 and "fix a link in the list's text" in out.lower()
    health = (tmp_path / "mine" / "reports" / "health.md").read_text(encoding="utf-8")
    assert "### Fix a link in the list's text (2)" in health
    old = server.url("/old-list")
    assert (
        f"[the old list]({old}) · Introduction · `catalogue/roadmap.yaml` — the old list link broken"
        in health
    )
    assert f"[the retired page]({server.url('/retired')}) · Tools · `catalogue/sections.yaml`" in health
    page = (tmp_path / "mine" / "reports" / "index.html").read_text(encoding="utf-8")
    assert "Fix a link in the list" in page and 'value="fix-list-link"' not in page  # no row to filter
    # The nightly job's summary counts them as links, not resources
    code, out, _ = cli("nightly", *args, "--allow-private-addresses")
    assert code == 1 and "problems found: 2 links need a human" in out and "Needs a human (2 links):" in out
    document = json.loads((tmp_path / "mine" / "reports" / "health.json").read_text(encoding="utf-8"))
    group = next(g for g in document["needs_human"] if g["id"] == "fix-list-link")
    assert [i["url"] for i in group["items"]] == [server.url("/old-list"), server.url("/retired")]


def test_the_nightly_summary_counts_entries_and_links_apart() -> None:
    entry, links = (
        Attention("Fix the URL", "…", ("a — x",)),
        Attention("Fix a link", "…", ("b — y", "c — z"), True),
    )
    assert who_needs_a_human((entry,)) == "1 resource"
    assert who_needs_a_human((links,)) == "2 links"
    assert who_needs_a_human((entry, links)) == "1 resource and 2 links"
