"""Redirects: permanent moves, temporary hops, landing on a home page, meta refresh and script redirects,
the limit.

Every scenario runs the real Fetcher -> classify path against loopback servers on 127.x.
"""

from __future__ import annotations

import pytest

from pipeline.crawl.classify import classify
from pipeline.crawl.facts import Fetched, Response
from pipeline.status import Hop, Status
from tests.crawl.helpers import (
    PROSE,
    B,
    To,
    case,
    chain,
    html,
    hugo_alias,
    install,
    jekyll_stub,
    js_page,
    raw,
    refresh_page,
    resolve_to_loopback,
    run,
    served,
    verdict_test,
)
from tests.crawl.server import LoopbackServer, redirect, reply

CASES = [
    case(
        "relative Location",
        {"/a/x/old": redirect("../b/new"), "/a/b/new": reply(200, html("Moved notes"))},
        "/a/x/old",
        Status.REDIRECTED,
        "permanent-redirect",
    ),
    case(
        "trailing-slash 301",
        {"/dir": redirect("/dir/"), "/dir/": reply(200, html("Directory of notes"))},
        "/dir",
        Status.REDIRECTED,
        "permanent-redirect",
    ),
    case(
        "302 chain ending in 404",
        {"/c1": redirect("/c2", 302), "/c2": redirect("/c3", 302)},
        "/c1",
        Status.BROKEN,
        "http-404",
    ),
    case(
        "307 temporary",
        {"/t": redirect("/t2", 307), "/t2": reply(200, html("Temporary home"))},
        "/t",
        Status.OK,
        None,
    ),
    case(
        "deep link to same host home",
        {"/course/linear-algebra": redirect("/"), "/": reply(200, html("Acme home"))},
        "/course/linear-algebra",
        Status.SOFT_404,
        "redirect-to-homepage",
    ),
    case(
        "deep link to another host home, every path does that",
        {"*": To("http://{B}:{port}/"), (B, "/"): reply(200, html("Shop", PROSE))},
        "/course/linear-algebra",
        Status.SOFT_404,
        "same-as-missing-page",
    ),
    case(
        "short link to another host home (missing paths 404)",
        {"/go": To("http://{B}:{port}/"), (B, "/"): reply(200, html("Course home", PROSE))},
        "/go",
        Status.REDIRECTED,
        "permanent-redirect",
    ),
    case(
        "host root to another root",
        {"/": To("http://{B}:{port}/"), (B, "/"): reply(200, html("New home"))},
        "/",
        Status.REDIRECTED,
        "permanent-redirect",
    ),
    case(
        "meta refresh 0 to a page",
        {"/old": reply(200, refresh_page("/new")), "/new": reply(200, html("Linear maps, new home"))},
        "/old",
        Status.OK,
        None,
    ),
    served("meta refresh 0 to a 404", "/old", reply(200, refresh_page("/gone")), Status.BROKEN, "http-404"),
    served(
        "Refresh header 0 to a 404",
        "/old",
        reply(200, "<html><body>Moving...</body></html>", refresh="0; url=/gone"),
        Status.BROKEN,
        "http-404",
    ),
    case(
        "Refresh header to a page, on an empty answer",
        {"/old": reply(200, b"", refresh="1;URL='/new'"), "/new": reply(200, html("Linear maps, new home"))},
        "/old",
        Status.OK,
        None,
    ),
    served(
        "Refresh header after 300 s on a page to read (not followed)",
        "/p",
        reply(200, html("Live notes"), refresh="300; url=/gone"),
        Status.OK,
        None,
    ),
    served(
        "Refresh header that only reloads",
        "/p",
        reply(200, html("Live loss curves"), refresh="5"),
        Status.OK,
        None,
    ),
    case(
        "meta refresh to a parked page on another host",
        {
            "/": To("http://{B}:{port}/lander?domain=notes.example", lambda t: reply(200, refresh_page(t))),
            (B, "/lander?domain=notes.example"): reply(200, html("notes.example", "<p>Parked.</p>")),
        },
        "/",
        Status.SOFT_404,
        "parked-domain",
    ),
    case(
        "meta refresh to a for-sale page on another host",
        {
            "/course": To("http://{B}:{port}/sale", lambda t: reply(200, refresh_page(t, 1))),
            (B, "/sale"): reply(200, html("notes.example", "<p>This domain is for sale!</p>")),
        },
        "/course",
        Status.SOFT_404,
        "parked-domain",
    ),
    served(
        "meta refresh after 300 s (not followed)",
        "/p",
        reply(200, refresh_page("/elsewhere", 300, PROSE)),
        Status.OK,
        None,
    ),
    served(
        "meta refresh after 30 s from an empty page (followed)",
        "/old",
        reply(200, refresh_page("/gone-too", 30)),
        Status.BROKEN,
        "http-404",
    ),
    served(
        "meta refresh to itself (reload)",
        "/p",
        reply(200, html("Live loss curves", head='<meta http-equiv="refresh" content="5">')),
        Status.OK,
        None,
    ),
    case(
        "meta refresh loop",
        {"/r1": reply(200, refresh_page("/r2")), "/r2": reply(200, refresh_page("/r1"))},
        "/r1",
        Status.BROKEN,
        "redirect-loop",
    ),
    served(
        "meta refresh only in noscript",
        "/app",
        reply(
            200,
            "<html><head><title>Notebook</title><noscript><meta http-equiv=refresh "
            "content='0; url=/nojs'></noscript></head><body><div id=root></div>"
            "<script src=/app.js></script></body></html>",
        ),
        Status.OK,
        None,
    ),
    served(
        "js window.location redirect (never broken)",
        "/js",
        reply(200, js_page("/somewhere-else")),
        Status.OK,
        None,
    ),
    served(
        "js redirect to a parking lander",
        "/js",
        reply(200, js_page("/lander")),
        Status.SOFT_404,
        "parked-domain",
    ),
    case("exactly 10 redirects", chain("/ten", 10), "/ten/0", Status.OK, None),
    case("11 redirects", chain("/eleven", 11), "/eleven/0", Status.BROKEN, "too-many-redirects"),
    case(
        "10 hops with a meta refresh among them",
        {**chain("/mix", 9), "/mix/9": reply(200, refresh_page("/mix/end"))},
        "/mix/0",
        Status.BROKEN,
        "http-404",
    ),
    case(
        "11 hops with a meta refresh among them",
        {**chain("/mix11", 10), "/mix11/10": reply(200, refresh_page("/mix11/end"))},
        "/mix11/0",
        Status.BROKEN,
        "too-many-redirects",
    ),
]


# Issue 10 §3: a redirect stub (meta refresh + canonical link, "Redirecting…") is a permanent move.
STUBS = [
    case(
        "jekyll-redirect-from stub",
        {
            "/old/": To("http://{A}:{port}/new/", lambda t: reply(200, jekyll_stub(t))),
            "/new/": reply(200, html("New")),
        },
        "/old/",
        Status.REDIRECTED,
        "permanent-redirect",
    ),
    case(
        "stub with relative addresses",
        {"/old/": reply(200, jekyll_stub("/new/")), "/new/": reply(200, html("New"))},
        "/old/",
        Status.REDIRECTED,
        "permanent-redirect",
    ),
    case(
        "hugo alias to another host",
        {
            "/old/": To("http://{B}:{port}/notes/", lambda t: reply(200, hugo_alias(t))),
            (B, "/notes/"): reply(200, html("Notes")),
        },
        "/old/",
        Status.REDIRECTED,
        "permanent-redirect",
    ),
    case(
        "stub, then a temporary language redirect",
        {
            "/old/": reply(200, jekyll_stub("/new/")),
            "/new/": redirect("/new/en/", 302),
            "/new/en/": reply(200, html("New")),
        },
        "/old/",
        Status.REDIRECTED,
        "permanent-redirect",
    ),
    case(
        "refresh whose canonical names another page (not a move)",
        {
            "/old/": reply(200, jekyll_stub("/new/", canonical="/elsewhere/")),
            "/new/": reply(200, html("New")),
        },
        "/old/",
        Status.OK,
        None,
    ),
    served(
        "stub to a page that is gone", "/old/", reply(200, jekyll_stub("/gone/")), Status.BROKEN, "http-404"
    ),
]
CASES += STUBS


test_verdict = verdict_test(CASES)


def test_http_to_https_upgrade_is_redirected_with_the_final_url() -> None:
    fetched = Fetched(
        url="http://notes.example/la",
        hops=(Hop("http://notes.example/la", 302, "https://notes.example/la"),),
        response=Response("https://notes.example/la", 200, body=html("Linear algebra").encode()),
    )
    outcome = classify(fetched)
    assert outcome.status is Status.REDIRECTED
    assert outcome.final_url == "https://notes.example/la"


def test_meta_refresh_is_recorded_as_a_hop(server: LoopbackServer) -> None:
    install(server, {"/old": reply(200, refresh_page("/new")), "/new": reply(200, html("New"))})
    url = server.url("/old")
    outcome = run([url])[0][url]
    assert outcome.status is Status.OK
    assert [(h.url, h.location) for h in outcome.redirect_chain] == [(url, server.url("/new"))]


def test_meta_refresh_to_a_private_address_is_refused(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolve_to_loopback(monkeypatch)
    server.routes.clear()
    url = f"http://public.example:{server.port}/r"
    outcome = run([url], allow_private=False)[0][url]  # refused on the first hop already
    assert outcome.status is Status.BLOCKED
    install(server, {"/r": reply(200, refresh_page("http://169.254.169.254/latest/meta-data/"))})
    outcome = run([server.url("/r")], allow_private=False)[0][server.url("/r")]
    assert outcome.status is Status.BLOCKED and outcome.evidence[0].rule == "unsafe-address"


def test_redirect_target_is_percent_encoded_for_the_catalogue(server: LoopbackServer) -> None:
    location = b"HTTP/1.1 301 Moved\r\nLocation: /\xc3\xbcber uns?q=a b\r\nContent-Length: 0\r\n\r\n"
    install(server, {"/old": raw(location), "/%C3%BCber%20uns?q=a%20b": reply(200, html("About us"))})
    url = server.url("/old")
    outcome = run([url])[0][url]
    assert outcome.status is Status.REDIRECTED
    assert outcome.final_url == server.url("/%C3%BCber%20uns?q=a%20b")


def test_a_redirect_stub_moves_the_catalogue_to_its_canonical_address(server: LoopbackServer) -> None:
    install(server, {"/old/": To("http://{A}:{port}/new/", lambda t: reply(200, jekyll_stub(t)))})
    server.route("/new/", reply(200, html("New")))
    url = server.url("/old/")
    outcome = run([url])[0][url]
    assert outcome.status is Status.REDIRECTED and outcome.final_url == server.url("/new/")
    assert [h.stub for h in outcome.redirect_chain] == [True]
    assert outcome.to_json()["redirect_chain"][0]["stub"] is True
    assert "redirect page" in outcome.evidence[0].detail
