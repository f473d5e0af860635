"""The crawler against real servers on 127.x: every verdict and every hostile behaviour, end to end
through Fetcher -> classify. Back-off waits are recorded instead of slept."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterator
from dataclasses import replace

import pytest
import trustme

from pipeline.config import Config, DomainRule
from pipeline.crawl.fetch import Fetcher
from pipeline.status import Status
from tests.crawl.helpers import (
    BOMB,
    NOT_FREE,
    PROSE,
    TEST_CHECK,
    A,
    B,
    FakeTime,
    check_in_store,
    html,
    resolve_to_loopback,
    run,
)
from tests.crawl.server import (
    Handler,
    LoopbackServer,
    by_method,
    endless,
    recorded,
    redirect,
    reply,
    sequence,
    slow,
    trickle,
)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(ips=(A, B)) as srv:
        yield srv


async def _close_at_once(request: object, writer: asyncio.StreamWriter) -> bool:
    writer.close()
    return False


# name -> (routes {path: handler}, url path, expected status, evidence rule or None)
SCENARIOS = {
    "ok page": ({"/p": reply(200, html("Linear maps"))}, "/p", Status.OK, None),
    "404": ({}, "/missing", Status.BROKEN, "http-404"),
    "410": ({"/gone": reply(410, "gone")}, "/gone", Status.BROKEN, "http-410"),
    "permanent redirect": (
        {"/old": redirect("/new"), "/new": reply(200, html("New home of the notes"))},
        "/old",
        Status.REDIRECTED,
        "permanent-redirect",
    ),
    "temporary redirect": (
        {"/tmp": redirect("/target", 302), "/target": reply(200, html("Target"))},
        "/tmp",
        Status.OK,
        None,
    ),
    "redirect ending in 404": ({"/moved": redirect("/nowhere")}, "/moved", Status.BROKEN, "http-404"),
    "redirect loop": (
        {"/loop/a": redirect("/loop/b", 302), "/loop/b": redirect("/loop/a", 302)},
        "/loop/a",
        Status.BROKEN,
        "redirect-loop",
    ),
    "too many redirects": (
        {f"/hop/{i}": redirect(f"/hop/{i + 1}", 302) for i in range(15)},
        "/hop/0",
        Status.BROKEN,
        "too-many-redirects",
    ),
    "head refused then get": (
        {"/paper.pdf": by_method(head=reply(405), get=reply(200, b"%PDF-1.7 data", ctype="application/pdf"))},
        "/paper.pdf",
        Status.OK,
        None,
    ),
    "flaky 503 recovers": (
        {"/flaky": sequence(reply(503, "busy"), reply(503, "busy"), reply(200, html("Back again")))},
        "/flaky",
        Status.OK,
        None,
    ),
    "503 for good": ({"/down": reply(503, "busy")}, "/down", Status.SERVER_ERROR, "http-503"),
    "retry-after then ok": (
        {"/ra": sequence(reply(429, "wait", retry_after="1"), reply(200, html("Patience pays")))},
        "/ra",
        Status.OK,
        None,
    ),
    "429 for good": ({"/busy": reply(429, "wait", retry_after="1")}, "/busy", Status.BLOCKED, "http-429"),
    "bot wall": (
        {"/wall": reply(403, html("Just a moment..."), cf_mitigated="challenge", server="cloudflare")},
        "/wall",
        Status.BLOCKED,
        "bot-challenge",
    ),
    "403": ({"/forbidden": reply(403, "no")}, "/forbidden", Status.BLOCKED, "http-403"),
    "soft 404 title": (
        {"/soft": reply(200, html("Page Not Found"))},
        "/soft",
        Status.SOFT_404,
        "title-not-found",
    ),
    "empty body": ({"/empty": reply(200, b"")}, "/empty", Status.SOFT_404, "empty-body"),
    "parked domain": (
        {"/parked": reply(200, html("site", "<p>This domain is for sale! Buy this domain today.</p>"))},
        "/parked",
        Status.SOFT_404,
        "parked-domain",
    ),
    "paywall json-ld": (
        {
            "/article": reply(
                200,
                html(
                    "Deep article",
                    head=NOT_FREE,
                ),
            )
        },
        "/article",
        Status.PAYWALLED,
        "schema-org-not-free",
    ),
    "paywall wording": (
        {"/story": reply(200, html("Story", PROSE[:200] + "<p>Subscribe to continue reading</p>"))},
        "/story",
        Status.PAYWALLED,
        "paywall-wording",
    ),
    "login redirect": (
        {
            "/course": redirect("/accounts/login?next=/course", 302),
            "/accounts/login?next=/course": reply(200, html("Sign in", "<form><input type=password></form>")),
        },
        "/course",
        Status.LOGIN_REQUIRED,
        "login-redirect",
    ),
    "password form": (
        {"/members": reply(200, html("Members", "<form><input name=u><input type=password></form>"))},
        "/members",
        Status.LOGIN_REQUIRED,
        "password-form",
    ),
    "anchor present": (
        {"/doc": reply(200, html("Doc", "<h2 id='svd'>SVD</h2>" + PROSE))},
        "/doc#svd",
        Status.OK,
        None,
    ),
    "anchor missing": (
        {"/doc2": reply(200, html("Doc", "<h2 id='svd'>SVD</h2>" + PROSE))},
        "/doc2#eigen",
        Status.ANCHOR_MISSING,
        "anchor-missing",
    ),
    "endless body is cut": ({"/endless": endless()}, "/endless", Status.OK, None),
    "trickling body times out": ({"/trickle": trickle(0.2)}, "/trickle", Status.TIMEOUT, "url-timeout"),
    "compression bomb is bounded": (
        {"/bomb": reply(200, BOMB, ctype="text/html", content_encoding="gzip")},
        "/bomb",
        Status.OK,
        None,
    ),
    "server closes without answer": ({"/rude": _close_at_once}, "/rude", Status.SERVER_ERROR, "protocol"),
}


@pytest.mark.parametrize(("routes", "path", "status", "rule"), SCENARIOS.values(), ids=SCENARIOS.keys())
def test_verdict_against_a_real_server(
    server: LoopbackServer, routes: dict, path: str, status: Status, rule: str | None
) -> None:
    for route, handler in routes.items():
        server.route(route, handler)
    outcome = run([server.url(path)])[0][server.url(path)]
    assert outcome.status is status, outcome
    assert (outcome.evidence[0].rule if outcome.evidence else None) == rule


def test_redirect_chain_is_recorded_hop_by_hop(server: LoopbackServer) -> None:
    server.route("/a", redirect("/b", 301))
    server.route("/b", redirect(server.url("/c", B), 302))
    server.route("/c", reply(200, html("Arrived")), ip=B)
    outcome = run([server.url("/a")])[0][server.url("/a")]
    assert outcome.status is Status.REDIRECTED
    assert [(h.status, h.location) for h in outcome.redirect_chain] == [
        (301, server.url("/b")),
        (302, server.url("/c", B)),
    ]
    assert outcome.final_url == server.url("/b")  # only the permanent part is a catalogue update


def test_backoff_and_retry_after_are_honoured_without_waiting(server: LoopbackServer) -> None:
    server.route("/ra", sequence(reply(429, "wait", retry_after="1"), reply(200, html("ok"))))
    server.route("/flaky", sequence(reply(503), reply(503), reply(200, html("Fine now"))))
    clock = FakeTime()
    outcomes, fetcher = run([server.url("/ra"), server.url("/flaky")], clock=clock)
    assert {o.status for o in outcomes.values()} == {Status.OK}
    assert 1.0 in clock.sleeps  # Retry-After: 1 honoured
    backoffs = sorted(s for s in clock.sleeps if s != 1.0)
    assert len(backoffs) >= 2 and backoffs[-1] > backoffs[0]  # exponential (with jitter)
    assert fetcher.hosts[A].slowdowns == 1 and fetcher.hosts[A].delay_s >= 1.0  # the whole host slows
    assert server.hits("/flaky") == 3


def test_404_and_nxdomain_are_never_retried(server: LoopbackServer) -> None:
    clock = FakeTime()
    outcomes, _ = run([server.url("/missing")], clock=clock)
    assert outcomes[server.url("/missing")].status is Status.BROKEN
    assert server.hits("/missing") == 1 and clock.sleeps == []


def test_same_url_twice_is_fetched_once(server: LoopbackServer, tmp_path) -> None:
    from tests.factory import resource

    server.route("/shared", reply(200, html("Shared", "<h2 id=one>1</h2><h2 id=two>2</h2>" + PROSE)))
    resources = [
        resource("first", url=server.url("/shared#one"), position=10),
        resource("second", url=server.url("/shared#two"), position=20),
        resource("third", url=server.url("/shared#three"), position=30),
    ]
    report = check_in_store(tmp_path, resources)
    assert server.hits("/shared") == 1
    assert {rid: o.status for rid, o in report.outcomes.items()} == {
        "first": Status.OK,
        "second": Status.OK,
        "third": Status.ANCHOR_MISSING,
    }
    assert report.outcomes["third"].url == server.url("/shared#three")


def test_per_host_limit_is_never_exceeded(server: LoopbackServer) -> None:
    for i in range(8):
        server.route(f"/slow/{i}", slow(0.15, reply(200, html(f"Slow page {i}"))))
        server.route(f"/slow/{i}", slow(0.15, reply(200, html(f"Other slow page {i}"))), ip=B)
    urls = [server.url(f"/slow/{i}", ip) for i in range(8) for ip in (A, B)]
    outcomes, fetcher = run(urls)
    assert all(o.status is Status.OK for o in outcomes.values())
    assert server.stats.peak[A] == 2 and server.stats.peak[B] == 2  # both hosts busy in parallel, never more
    assert fetcher.hosts[A].peak_in_flight == 2


def test_domain_rule_lowers_the_per_host_limit(server: LoopbackServer) -> None:
    for i in range(4):
        server.route(f"/s/{i}", slow(0.1, reply(200, html(f"Page {i}"))))
    config = Config(check=TEST_CHECK, domains={A: DomainRule(per_host=1)})
    run([server.url(f"/s/{i}") for i in range(4)], config)
    assert server.stats.peak[A] == 1


def test_soft_404_by_random_path_fingerprint() -> None:
    home = reply(200, html("Welcome to the course site", PROSE + "<p>News, courses, events.</p>"))
    with LoopbackServer(ips=(A, B)) as srv:
        srv.fallback[B] = home  # B serves its home page for every unknown path
        srv.route("/course/linear-algebra", reply(200, html("Linear algebra", PROSE + "<p>Week 1</p>")), ip=B)
        srv.route("/course/gone", reply(200, html("Real", PROSE)))  # on A, unknown paths are real 404s
        urls = [
            srv.url("/course/removed-2019", B),
            srv.url("/course/linear-algebra", B),
            srv.url("/course/gone"),
        ]
        outcomes, _ = run(urls)
        probes = [k for k in srv.stats.hits if "roadmap-linkcheck" in k[2]]
    assert outcomes[urls[0]].status is Status.SOFT_404
    assert outcomes[urls[0]].evidence[0].rule == "same-as-missing-page"
    assert outcomes[urls[1]].status is Status.OK
    assert outcomes[urls[2]].status is Status.OK
    assert sorted(ip for ip, _, _ in probes) == [A, B]  # one probe per host, cached for the run


def test_cookie_setting_redirect_is_not_a_loop(server: LoopbackServer) -> None:
    async def gate(request, writer) -> bool:
        if "seen=1" in request.headers.get("cookie", ""):
            return await reply(200, html("Inside"))(request, writer)
        return await reply(302, b"", location="/gate", set_cookie="seen=1; Path=/")(request, writer)

    server.route("/gate", gate)
    outcome = run([server.url("/gate")])[0][server.url("/gate")]
    assert outcome.status is Status.OK


def cookie_page(seen: list[str]) -> Handler:
    """A page that sets a cookie, noting the cookie each request brought (none, if cookies stay put)."""
    page = reply(200, html("Cookie page"), set_cookie="track=1; Path=/")
    return recorded(seen, lambda request: request.headers.get("cookie", ""), page)


def test_cookies_do_not_travel_between_urls(server: LoopbackServer) -> None:
    seen: list[str] = []
    server.route("/c1", cookie_page(seen))
    server.route("/c2", cookie_page(seen))
    run([server.url("/c1")])
    run([server.url("/c2")])
    assert seen == ["", ""]


def test_cookies_do_not_travel_between_urls_of_one_run(server: LoopbackServer) -> None:
    seen: list[str] = []
    server.route("/c1", cookie_page(seen))
    server.route("/c2", cookie_page(seen))
    run([server.url("/c1"), server.url("/c2")], Config(check=replace(TEST_CHECK, per_host=1)))
    assert seen == ["", ""]


def test_user_agent_is_honest(server: LoopbackServer) -> None:
    agents: list[str] = []
    server.route(
        "/ua", recorded(agents, lambda request: request.headers.get("user-agent", ""), reply(200, html("UA")))
    )
    run([server.url("/ua")])
    assert agents and agents[0].startswith("ml-math-roadmap-linkcheck/")


# --- safety ------------------------------------------------------------------------------------------


def test_literal_private_ip_is_refused_before_connecting(server: LoopbackServer) -> None:
    server.route("/p", reply(200, html("secret")))
    outcome = run([server.url("/p")], allow_private=False)[0][server.url("/p")]
    assert outcome.status is Status.BLOCKED  # a finding for a maintainer, never a silent skip
    assert outcome.evidence[0].rule == "unsafe-address"
    assert server.hits("/p") == 0


def test_public_name_resolving_to_loopback_is_refused(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.route("/meta", reply(200, html("metadata")))
    resolve_to_loopback(monkeypatch)
    url = f"http://public.example:{server.port}/meta"
    outcome = run([url], allow_private=False)[0][url]
    assert outcome.status is Status.BLOCKED  # a finding for a maintainer, never a silent skip
    assert outcome.evidence[0].rule == "unsafe-address"
    assert "127.0.0.2 is a loopback address" in outcome.evidence[0].detail
    assert server.hits("/meta") == 0  # refused before any byte of the request was sent
    # ...and the same name is fine when private addresses are allowed (tests, local mirrors)
    assert run([url], allow_private=True)[0][url].status is Status.OK


def test_redirect_to_a_private_address_is_refused(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolve_to_loopback(monkeypatch)
    # the first hop is judged on its own connection; the refusal happens on it already
    url = f"http://public.example:{server.port}/go"
    server.route("/go", redirect("http://169.254.169.254/latest/meta-data/", 302))
    outcome = run([url], allow_private=False)[0][url]
    assert outcome.status is Status.BLOCKED and outcome.evidence[0].rule == "unsafe-address"


@pytest.mark.parametrize(
    ("url", "rule"),
    [("ftp://example.org/file", "unsupported-scheme"), ("mailto:someone@example.org", "unsupported-scheme")],
)
def test_unsupported_schemes_are_skipped(url: str, rule: str) -> None:
    outcome = run([url])[0][url]
    assert outcome.status is Status.SKIPPED and outcome.evidence[0].rule == rule


def test_domain_rule_skip() -> None:
    config = Config(check=TEST_CHECK, domains={"linkedin.com": DomainRule(skip="always answers 999")})
    url = "https://www.linkedin.com/in/someone"
    outcome = run([url], config)[0][url]
    assert outcome.status is Status.SKIPPED
    assert "always answers 999" in outcome.evidence[0].detail


# --- TLS ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def _tls_server(ca: trustme.CA) -> LoopbackServer:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.4").configure_cert(context)
    return LoopbackServer(ips=("127.0.0.4",), tls=context)


def test_untrusted_certificate_is_a_tls_error(ca: trustme.CA) -> None:
    with _tls_server(ca) as srv:
        srv.route("/secure", reply(200, html("Secure")))
        outcome = run([srv.url("/secure")])[0][srv.url("/secure")]
    assert outcome.status is Status.TLS_ERROR
    assert outcome.evidence[0].rule == "tls" and "certificate" in outcome.evidence[0].detail


def test_certificate_from_a_trusted_ca_is_ok(ca: trustme.CA) -> None:
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    with _tls_server(ca) as srv:
        srv.route("/secure", reply(200, html("Secure")))
        outcome = run([srv.url("/secure")], tls=client_context)[0][srv.url("/secure")]
    assert outcome.status is Status.OK


# --- failures below HTTP -----------------------------------------------------------------------------


def test_connection_refused_is_broken_and_a_network_failure() -> None:
    with socket.socket() as sock:
        sock.bind((A, 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        url = f"http://{A}:{port}/x"
        outcome = run([url])[0][url]
    assert outcome.status is Status.BROKEN
    assert outcome.error_class == "connect" and outcome.network_failure


def test_name_that_does_not_exist_is_broken_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    def nxdomain(*args, **kw):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", nxdomain)
    clock = FakeTime()
    outcome = run(["https://no-such-host.example/"], clock=clock)[0]["https://no-such-host.example/"]
    assert outcome.status is Status.BROKEN and outcome.error_class == "dns" and outcome.network_failure
    assert clock.sleeps == []  # final: not retried


@pytest.mark.parametrize(
    "handler",
    [
        pytest.param(endless(), id="endless"),
        pytest.param(reply(200, b"<p>" + b"y" * (5 * 1024 * 1024)), id="huge"),
        pytest.param(reply(200, BOMB, ctype="text/html", content_encoding="gzip"), id="gzip bomb"),
    ],
)
def test_bodies_are_read_up_to_the_limit_only(server: LoopbackServer, handler) -> None:
    server.route("/big", handler)

    async def main():
        async with Fetcher(Config(check=TEST_CHECK), allow_private=True) as fetcher:
            return await fetcher.fetch(server.url("/big"))

    fetched = asyncio.run(asyncio.wait_for(main(), 20))
    assert fetched.response is not None and fetched.response.truncated
    assert len(fetched.response.body) == TEST_CHECK.max_body_kb * 1024


@pytest.mark.filterwarnings("error")  # a pool left unclosed warns (ResourceWarning) when collected
def test_more_hosts_than_pools_kept_through_the_real_wire() -> None:
    """Connection pools are closed while other hosts' first requests arrive (aiohttp closes by awaiting):
    every URL still gets its verdict, and every pool is closed. The shape of real lists, with hundreds of
    hosts."""
    ips = tuple(f"127.0.2.{n}" for n in range(1, 25))
    with LoopbackServer(ips=ips) as many:
        for ip in ips:
            for n in range(2):
                many.route(f"/page/{n}", slow(0.02, reply(200, html(f"Page {n} of {ip}"))), ip=ip)
        config = Config(check=replace(TEST_CHECK, concurrency=2))  # 6 pools kept for 24 hosts
        urls = [many.url(f"/page/{n}", ip) for ip in ips for n in range(2)]
        outcomes, _ = run(urls, config)
    assert {url: o.status for url, o in outcomes.items()} == dict.fromkeys(urls, Status.OK)
