"""Repair suggestions for dead links: found in the maintainers' order, each checked like any link, on fake
sites and a fake Wayback Machine availability API on loopback (real servers)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest
import trustme

from pipeline.config import CheckConfig, Config, RepairConfig
from pipeline.crawl.fetch import Fetcher
from pipeline.crawl.suggest import DeadLink, candidates, slash_variants, snapshot_from, suggest_repairs
from pipeline.status import Suggestion
from tests.repair.sites import NOT_FOUND, Answer, Sites, page, wayback

CHECK = CheckConfig(
    concurrency=8, per_host=4, host_delay_ms=0, connect_timeout_s=2.0, read_timeout_s=2.0, url_timeout_s=4.0,
    retries=0,
)  # fmt: skip
DIED = datetime(2026, 11, 20, 3, 0)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def sites(ca: trustme.CA) -> Iterator[Sites]:
    with Sites(ca) as running:
        running.routes["/wayback/available"] = wayback(running, {})
        yield running


def suggest(sites: Sites, *urls: str) -> dict[str, Suggestion]:
    config = Config(check=CHECK, repair=RepairConfig(wayback_api=sites.url("/wayback/available")))
    fetcher = Fetcher(config, tls=sites.client_context(), allow_private=True)
    links = [DeadLink(f"r{i}", url, DIED) for i, url in enumerate(urls)]
    return asyncio.run(asyncio.wait_for(suggest_repairs(links, config, fetcher), 30))


def test_the_twin_is_offered_first(sites: Sites) -> None:
    sites.routes[("http", "/notes/svd")] = NOT_FOUND
    sites.routes[("https", "/notes/svd")] = page("SVD notes")
    sites.routes["/notes/svd/"] = page("SVD notes, with a slash")  # works too, but comes second
    found = suggest(sites, sites.url("/notes/svd#proof"))
    assert found == {
        "r0": Suggestion("twin", sites.url("/notes/svd#proof", "https"), "checked: ok (HTTP 200)")
    }


def test_the_slash_variant(sites: Sites) -> None:
    sites.routes["/course/"] = page("The course")
    found = suggest(sites, sites.url("/course"))
    assert found == {"r0": Suggestion("slash", sites.url("/course/"), "checked: ok (HTTP 200)")}
    # The twin was tried first and failed (404 over https).
    assert sites.requests[:2] == [("https", "GET", "/course"), ("http", "GET", "/course/")]


def test_index_html_variants() -> None:
    assert slash_variants("https://a.org/x/index.html") == ["https://a.org/x/", "https://a.org/x"]
    assert slash_variants("https://a.org/x/") == ["https://a.org/x", "https://a.org/x/index.html"]
    assert slash_variants("https://a.org/x?q=1") == ["https://a.org/x/?q=1", "https://a.org/x/index.html?q=1"]
    assert slash_variants("https://a.org/") == ["https://a.org/index.html"]
    assert candidates("ftp://a.org/x")[0][0] == "slash"


def test_the_newest_snapshot_before_the_link_died(sites: Sites) -> None:
    gone = sites.url("/lectures/gone")
    sites.routes["/wayback/available"] = wayback(
        sites, {gone: ("20240105120000", "/web/20240105120000/lectures")}
    )
    sites.routes["/web/20240105120000/lectures"] = page("Lectures (archived)")
    found = suggest(sites, gone)
    assert found == {
        "r0": Suggestion(
            "archive",
            sites.url("/web/20240105120000/lectures"),
            "snapshot of 2024-01-05, before the link failed (2026-11-20); checked: ok (HTTP 200)",
            snapshot_at="20240105120000",
        )
    }
    (asked,) = [r for r in sites.requests if r[2].startswith("/wayback/available")]
    assert "timestamp=20261120030000" in asked[2]


def test_a_snapshot_newer_than_the_death_is_refused(sites: Sites) -> None:
    gone = sites.url("/lectures/gone")
    sites.routes["/wayback/available"] = wayback(
        sites, {gone: ("20261125000000", "/web/20261125000000/lectures")}
    )
    sites.routes["/web/20261125000000/lectures"] = page("A parked domain's page, archived after the death")
    assert suggest(sites, gone) == {}
    assert not any(r[2].startswith("/web/") for r in sites.requests)  # never even fetched


def test_nothing_found(sites: Sites) -> None:
    assert suggest(sites, sites.url("/nowhere")) == {}
    tried = [
        (scheme, path) for scheme, _, path in sites.requests if not path.startswith("/roadmap-linkcheck-")
    ]
    assert tried[:3] == [("https", "/nowhere"), ("http", "/nowhere/"), ("http", "/nowhere/index.html")]
    assert tried[3][1].startswith("/wayback/available?url=")


def test_a_suggestion_that_is_itself_broken_is_not_offered(sites: Sites) -> None:
    gone = sites.url("/paper")
    soft_404 = page("Page not found", "Sorry, we could not find that page. ")
    sites.routes[("https", "/paper")] = soft_404  # 200, but a "not found" page: a soft 404
    sites.routes["/paper/"] = Answer(500, b"<title>Internal error</title>")
    sites.routes["/wayback/available"] = wayback(sites, {gone: ("20200101000000", "/web/2020/paper")})
    sites.routes["/web/2020/paper"] = NOT_FOUND  # the snapshot itself is gone
    assert suggest(sites, gone) == {}
    assert ("https", "GET", "/paper") in sites.requests and (
        "http",
        "GET",
        "/web/2020/paper",
    ) in sites.requests


def test_no_archive_when_the_api_is_off(sites: Sites) -> None:
    config = Config(check=CHECK, repair=RepairConfig(wayback_api=""))
    fetcher = Fetcher(config, tls=sites.client_context(), allow_private=True)
    links = [DeadLink("r0", sites.url("/x"), DIED)]
    assert asyncio.run(asyncio.wait_for(suggest_repairs(links, config, fetcher), 30)) == {}
    assert not any(r[2].startswith("/wayback") for r in sites.requests)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"archived_snapshots": {}}', "the archive has no snapshot"),
        (b"not json", "the archive has no snapshot"),
        (
            b'{"archived_snapshots": {"closest": {"status": "404", "timestamp": "20200101000000", '
            b'"url": "u"}}}',
            "the archive's closest snapshot is not a working page",
        ),
        (
            b'{"archived_snapshots": {"closest": {"status": "200", "timestamp": "20200101000000", '
            b'"url": "u"}}}',
            ("u", "20200101000000"),
        ),
    ],
)
def test_snapshot_from_the_api_answer(body: bytes, expected: object) -> None:
    assert snapshot_from(body, DIED) == expected


def test_a_snapshot_behind_a_permanent_redirect_is_offered_at_its_target(sites: Sites) -> None:
    """The real API answers http://web.archive.org/... addresses, which move to https for good."""
    gone = sites.url("/book")
    sites.routes["/wayback/available"] = wayback(
        sites, {gone: ("20230101000000", "/web/20230101000000/book")}
    )
    target = sites.url("/web/20230101000000/book", "https")
    sites.routes[("http", "/web/20230101000000/book")] = Answer(301, b"", headers=(("Location", target),))
    sites.routes[("https", "/web/20230101000000/book")] = page("The book (archived)")
    (found,) = suggest(sites, gone + "#ch-2").values()
    assert (found.kind, found.url, found.snapshot_at) == ("archive", target + "#ch-2", "20230101000000")
    assert found.detail.endswith(
        f"checked: ok (HTTP 200) after a permanent redirect from {sites.url('/web/20230101000000/book')}"
    )


def test_an_origin_that_never_answers_is_tried_once_not_once_per_dead_link() -> None:
    """Dead http links on a host that drops https: every twin is on the same origin. The first one's
    connect timeout stands for the others, which are not tried (one timeout a run, not one per link)."""
    tried: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        tried.append(str(request.url))
        if request.url.scheme == "https":
            raise httpx.ConnectTimeout("timed out", request=request)
        return httpx.Response(404, html="<title>Not Found</title><h1>Not Found</h1>")

    config = Config(check=CHECK, repair=RepairConfig(wayback_api=""))
    fetcher = Fetcher(config, transport=httpx.MockTransport(handler))
    links = [DeadLink(f"r{i}", f"http://old.example/page-{i}", DIED) for i in range(6)]
    found = asyncio.run(asyncio.wait_for(suggest_repairs(links, config, fetcher), 30))
    assert found == {}
    assert len([url for url in tried if url.startswith("https://old.example/")]) == 1
    # The slash variants are on the http origin, which answers: each dead link still tries its own.
    assert len([url for url in tried if url.startswith("http://old.example/")]) == 12
