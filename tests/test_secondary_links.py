"""Secondary links (an imported list's "Demo", "Source Code"): checked with their resource, recorded with
its result, listed by `check`, and reported broken only after `broken_after` failing runs, never changing
the resource's own health."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import replace
from datetime import datetime

import httpx
import jsonschema
from sqlalchemy import Engine, select

from pipeline.checkrun import CheckReport, CheckRequest, check_catalogue
from pipeline.cli.check import exit_code, render_json, render_text
from pipeline.config import Config
from pipeline.crawl.fetch import Fetcher
from pipeline.crawl.runner import Checked, Crawl
from pipeline.model import Catalogue, Link
from pipeline.publish.data import HealthData
from pipeline.publish.export import build_export
from pipeline.publish.reports import build_health_report
from pipeline.status import Evidence, Outcome, Status
from pipeline.store.links import _health
from pipeline.store.models import CheckResult
from pipeline.store.sync import sync_catalogue
from tests.conftest import REPO
from tests.crawl.helpers import NOT_FREE, TEST_CHECK, html
from tests.factory import catalogue, resource

MAIN = "https://app.example/"
DEMO = "https://demo.example/try"
SOURCE = "https://code.example/app"


def links_catalogue(demo_alive: bool = False) -> Catalogue:
    app = resource(
        "app",
        url=MAIN,
        links=(
            Link("Demo", DEMO),
            Link("Source Code", SOURCE),
            Link("Same page", MAIN),  # the resource's own URL: fetched once for both
            Link("Install", "#install"),  # in-page and relative links are not web addresses
            Link("Docs", "docs/index.md"),
        ),
    )
    plain = resource("plain", position=20, url="https://other.example/page")
    return replace(catalogue([app, plain]), config=Config(check=TEST_CHECK))


def site(dead: set[str], seen: Counter[str]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        seen[url] += 1
        if "roadmap-linkcheck" in request.url.path or url in dead:
            return httpx.Response(404, html=html("Not Found"))
        return httpx.Response(200, html=html(f"The page at {request.url.path}"))

    return httpx.MockTransport(handler)


def crawl(cat: Catalogue, transport: httpx.MockTransport, answered: dict[str, Outcome]) -> list[Checked]:
    async def main() -> list[Checked]:
        fetcher = Fetcher(cat.config, transport=transport)
        # A forge's API answered for these resources' own URLs: those URLs wait for its answer (by URL).
        held = {str(r.url) for r in cat.resources if r.id in answered}
        by_url = {str(r.url): answered[r.id] for r in cat.resources if r.id in answered}

        async def answers() -> dict[str, Outcome]:
            return by_url

        crawl = Crawl(list(cat.resources), cat.config, fetcher, held=held, answers=answers)
        return [c async for c in crawl.results()]

    return asyncio.run(main())


def test_links_are_judged_with_their_resource_and_each_url_is_fetched_once() -> None:
    seen: Counter[str] = Counter()
    results = {c.resource.id: c for c in crawl(links_catalogue(), site({DEMO}, seen), {})}
    app = results["app"]
    assert app.outcome.status is Status.OK
    assert [(v.title, v.outcome.url, v.outcome.status) for v in app.links] == [
        ("Demo", DEMO, Status.BROKEN),
        ("Source Code", SOURCE, Status.OK),
        ("Same page", MAIN, Status.OK),
    ]
    assert results["plain"].links == ()
    assert seen[MAIN] == 1  # listed twice, fetched once
    assert not any("#install" in url or "docs/index.md" in url for url in seen)


def test_a_resource_the_forge_api_answered_has_only_its_links_fetched() -> None:
    seen: Counter[str] = Counter()
    answered = {"app": Outcome(url=MAIN, status=Status.REDIRECTED, evidence=(Evidence("api", "renamed"),))}
    app = {c.resource.id: c for c in crawl(links_catalogue(), site(set(), seen), answered)}["app"]
    assert app.outcome == answered["app"]
    # The "Same page" link lists the answered URL: it takes the API's verdict too, with no fetch.
    assert [v.outcome.status for v in app.links] == [Status.OK, Status.OK, Status.REDIRECTED]
    assert seen[DEMO] == 1 and seen[SOURCE] == 1
    assert seen[MAIN] == 0


def check(engine: Engine, cat: Catalogue, dead: set[str]) -> CheckReport:
    sync_catalogue(engine, cat)
    return asyncio.run(check_catalogue(engine, cat, CheckRequest(), transport=site(dead, Counter())))


def test_links_are_recorded_listed_and_fail_the_check(engine: Engine) -> None:
    cat = links_catalogue()
    report = check(engine, cat, {DEMO})
    assert report.outcomes["app"].status is Status.OK  # a dead demo is not a dead resource
    with engine.connect() as connection:
        stored = connection.execute(
            select(CheckResult.links).where(CheckResult.resource_id == "app")
        ).scalar_one()
        plain = connection.execute(
            select(CheckResult.links).where(CheckResult.resource_id == "plain")
        ).scalar_one()
    assert [(v["title"], v["url"], v["status"]) for v in stored] == [
        ("Demo", DEMO, "broken"),
        ("Source Code", SOURCE, "ok"),
        ("Same page", MAIN, "ok"),
    ]
    assert plain is None
    text = "\n".join(render_text(report))
    assert "secondary links: 3 checked: 2 ok, 1 broken" in text
    assert f"app       Demo  broken          {DEMO}: http-404" in text
    assert exit_code(report) == 1
    document = json.loads(render_json(report))
    by_id = {r["resource_id"]: r for r in document["results"]}
    assert [link["shown"] for link in by_id["app"]["links"]] == ["broken", "ok", "ok"]
    assert "links" not in by_id["plain"]


def test_all_links_alive_exit_zero(engine: Engine) -> None:
    report = check(engine, links_catalogue(), set())
    assert exit_code(report) == 0
    assert "secondary links: 3 checked: 3 ok" in "\n".join(render_text(report))


def test_a_dead_link_is_watched_first_and_reported_broken_after_broken_after_runs(engine: Engine) -> None:
    cat = links_catalogue()
    broken_after = cat.config.check.broken_after
    assert broken_after >= 2
    for run in range(1, broken_after + 1):
        check(engine, cat, {DEMO})
        report = build_health_report(cat, engine)
        fix = next(g for g in report.actions if g.id == "fix-link")
        watched = [(i.id, i.url) for i in report.watch.items]
        row = next(r for r in report.rows if r.id == "app")
        if run < broken_after:
            assert fix.items == () and watched == [("app", DEMO)]
            assert row.action is None
        else:
            assert [(i.id, i.url) for i in fix.items] == [("app", DEMO)] and watched == []
            assert fix.items[0].detail.startswith(
                f"Demo link broken for {broken_after} runs in a row: http-404"
            )
            assert row.action == "fix-link"
        assert row.state == "ok"  # the resource's own health is its own URL's
    check(engine, cat, set())  # the demo is back
    report = build_health_report(cat, engine)
    assert next(g for g in report.actions if g.id == "fix-link").items == () and report.watch.items == ()


def verdict(url: str, status: str, network: bool = False) -> dict[str, object]:
    return {"title": "Demo", "url": url, "status": status, "evidence": [], "network_failure": network}


def test_an_outage_in_an_interrupted_run_neither_extends_nor_breaks_a_streak() -> None:
    at = datetime(2026, 11, 20)
    rows = [  # newest first: (links, checked at, run complete)
        ([verdict(DEMO, "broken", network=True)], at, False),
        ([verdict(DEMO, "broken")], at, True),
        ([verdict(DEMO, "broken")], at, True),
        ([verdict(DEMO, "ok")], at, True),
    ]
    (health,) = _health(rows)
    assert (health.status, health.streak) == (Status.BROKEN, 2)
    (edited,) = _health([([verdict(SOURCE, "broken")], at, True), *rows[1:]])
    assert edited.streak == 1  # a new URL starts its own history


def test_only_failing_asks_again_a_resource_whose_secondary_link_failed(engine: Engine) -> None:
    cat = links_catalogue()
    check(engine, cat, {DEMO})
    sync_catalogue(engine, cat)
    request = CheckRequest(only_failing=True)
    again = asyncio.run(check_catalogue(engine, cat, request, transport=site(set(), Counter())))
    assert list(again.outcomes) == ["app"]  # "plain" is fine, and so is app's own link: its demo was not
    assert [v.outcome.status for v in again.links["app"]] == [Status.OK, Status.OK, Status.OK]
    nothing = asyncio.run(check_catalogue(engine, cat, request, transport=site(set(), Counter())))
    assert nothing.outcomes == {}


def test_the_json_export_states_each_checked_links_health(engine: Engine) -> None:
    cat = links_catalogue()
    for _ in range(cat.config.check.broken_after):
        check(engine, cat, {DEMO})
    data = HealthData.from_engine(engine)
    document = build_export(cat, data.summaries, generated_at=data.recorded_at, links=data.links)
    schema = json.loads((REPO / "schema" / "export.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document)
    app = next(r for r in document["resources"] if r["id"] == "app")
    health = {link["title"]: link.get("health") for link in app["links"]}
    assert health["Demo"] is not None and health["Demo"]["status"] == "broken"
    assert health["Demo"]["broken"] is True and health["Demo"]["consecutive_failures"] == 2
    assert health["Source Code"] is not None and health["Source Code"]["broken"] is False
    assert health["Install"] is None and health["Docs"] is None  # not web links: never checked
    assert app["health"]["status"] == "ok"


ORM = "https://docs.example/orm"
AUTHOR = "https://people.example/jane"
VIDEO = "https://video.example/lecture-1"


def test_the_links_an_entry_writes_in_its_text_are_checked_with_it(engine: Engine) -> None:
    """A dead link in a description, a name or a table row's other cell is a dead link in the list:
    checked with the entry, after its `links`; not images, badges, in-page or relative links, nor the
    entry's own URL again."""
    described = resource(
        "orm",
        url=MAIN,
        description=(
            f"The Django [ORM]({ORM}), see [the app]({MAIN}) and [![build](https://ci.example/b.svg)]"
            f"(https://ci.example/) ![logo](https://img.example/l.png) [install](#install) <{SOURCE}>."
        ),
        links=(Link("Demo", DEMO),),
    )
    unlinked = resource("bar", position=20, url=None, awaiting_url="named without a link")
    unlinked = replace(unlinked, title=f"Bar by [Jane]({AUTHOR})")
    row = resource("lecture", position=30, url=SOURCE, fields={"No.": "1", "Video": f"[Video]({VIDEO})"})
    cat = replace(catalogue([described, unlinked, row]), config=Config(check=TEST_CHECK))
    seen: Counter[str] = Counter()
    results = {c.resource.id: c for c in crawl(cat, site({ORM, AUTHOR, VIDEO}, seen), {})}
    assert [(v.title, v.outcome.url, v.outcome.status) for v in results["orm"].links] == [
        ("Demo", DEMO, Status.OK),
        ("ORM", ORM, Status.BROKEN),
        (SOURCE, SOURCE, Status.OK),
    ]
    assert results["orm"].outcome.status is Status.OK  # a dead link in its text is not a dead entry
    assert results["bar"].outcome.status is Status.SKIPPED
    assert [(v.title, v.outcome.status) for v in results["bar"].links] == [("Jane", Status.BROKEN)]
    assert [(v.title, v.outcome.status) for v in results["lecture"].links] == [("Video", Status.BROKEN)]
    assert seen[MAIN] == 1 and not any(host in url for url in seen for host in ("ci.example", "img.example"))

    report = check(engine, cat, {ORM})
    assert "secondary links: 5 checked: 4 ok, 1 broken" in "\n".join(render_text(report))


def test_a_wall_on_a_page_the_text_cites_is_expected_but_not_on_the_entrys_own_links() -> None:
    """The entry's declared cost is about itself and its `links` (its demo): a free entry whose demo is
    paywalled fails, while the book its description cites may be paid."""
    book, demo = "https://books.example/print", "https://demo.example/paid"

    def handler(request: httpx.Request) -> httpx.Response:
        if str(request.url) in (book, demo):
            return httpx.Response(200, html=html("The book", NOT_FREE))
        return httpx.Response(200, html=html(f"The page at {request.url.path}"))

    entry = resource(
        "free-course",
        url=MAIN,
        cost="free",
        description=f"Follows [the book]({book}).",
        links=(Link("Demo", demo),),
    )
    cat = replace(catalogue([entry]), config=Config(check=TEST_CHECK))
    [checked] = crawl(cat, httpx.MockTransport(handler), {})
    demo_verdict, book_verdict = checked.links
    assert demo_verdict.outcome.status is Status.PAYWALLED
    assert book_verdict.outcome.status is Status.OK
    assert book_verdict.outcome.evidence[0].rule == "expected-wall"
    assert "a link in the entry's text" in book_verdict.outcome.evidence[0].detail
