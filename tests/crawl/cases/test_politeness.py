"""Politeness: Retry-After, host-wide slow-downs, cookies that stay with their host, the User-Agent, one
fetch per URL.

Every scenario runs the real Fetcher -> classify path against loopback servers on 127.x.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import replace
from email.utils import formatdate
from functools import partial

import pytest

from pipeline.config import Config
from pipeline.crawl.fetch import Fetcher
from pipeline.status import Status
from tests.crawl.helpers import (
    PROSE,
    TEST_CHECK,
    A,
    B,
    FakeTime,
    check_in_store,
    html,
    install,
    refresh_page,
    run,
)
from tests.crawl.server import LoopbackServer, Request, by_method, recorded, reply, sequence


def test_same_url_in_two_resources_is_fetched_once(server: LoopbackServer, tmp_path) -> None:
    from tests.factory import resource

    server.routes.clear()
    server.fallback.clear()
    server.route("/twice", reply(200, html("Shared notes")))
    before = server.hits("/twice")
    resources = [
        resource("one", url=server.url("/twice"), position=10),
        resource("two", url=server.url("/twice"), position=20),
    ]
    report = check_in_store(tmp_path, resources)
    assert server.hits("/twice") - before == 1
    assert report.outcomes["one"].status is report.outcomes["two"].status is Status.OK


class VirtualTime(FakeTime):
    """A clock that moves only when the fetcher sleeps; the server stamps each request with it."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await super().sleep(seconds)


def _stamped(log: list[tuple[str, str, float]], vt: VirtualTime, inner):
    async def handler(request: Request, writer: asyncio.StreamWriter) -> bool:
        log.append((request.ip, request.path, vt.now))
        return await inner(request, writer)

    return handler


@pytest.mark.parametrize(
    ("retry_after", "date", "wait"),
    [
        ("Wed, 21 Oct 2026 07:28:03 GMT", "Wed, 21 Oct 2026 07:28:00 GMT", 3.0),  # against the server's Date
        ("Wed, 21 Oct 2015 07:28:00 GMT", None, 0.0),  # in the past: retry at once
        ("0.5", None, 0.5),  # seconds, but not a whole number
        ("soon", None, None),  # unreadable: our own back-off
    ],
)
def test_retry_after_as_an_http_date(server: LoopbackServer, retry_after: str, date, wait) -> None:
    headers = {"retry_after": retry_after} | ({"date": date} if date else {})
    install(server, {"/busy": sequence(reply(503, "busy", **headers), reply(200, html("Back")))})
    clock = FakeTime()
    url = server.url("/busy")
    before = server.hits("/busy")
    outcome = run([url], Config(check=replace(TEST_CHECK, url_timeout_s=10.0)), clock=clock)[0][url]
    assert outcome.status is Status.OK and server.hits("/busy") - before == 2
    if wait is None:
        assert clock.sleeps and 0 < clock.sleeps[0] <= TEST_CHECK.backoff_base_s * 1.5
    else:
        assert clock.sleeps[0] == pytest.approx(wait)


def test_retry_after_date_without_a_server_date_uses_our_clock(server: LoopbackServer) -> None:
    later = formatdate(dt.datetime.now(dt.UTC).timestamp() + 2, usegmt=True)
    install(server, {"/busy": sequence(reply(429, "wait", retry_after=later), reply(200, html("Back")))})
    clock = FakeTime()
    url = server.url("/busy")
    assert run([url], clock=clock)[0][url].status is Status.OK
    assert 0.5 < clock.sleeps[0] <= 2.0


def test_429_slows_the_whole_host_and_no_other(server: LoopbackServer) -> None:
    vt, log = VirtualTime(), []
    install(
        server,
        {
            "/ra": _stamped(log, vt, sequence(reply(429, "wait", retry_after="2"), reply(200, html("ok")))),
            "/a2": _stamped(log, vt, reply(200, html("Second page on A"))),
            "/a3": _stamped(log, vt, reply(200, html("Third page on A"))),
            (B, "/b1"): _stamped(log, vt, reply(200, html("Page on B"))),
            (B, "/b2"): _stamped(log, vt, reply(200, html("Other page on B"))),
        },
    )
    config = Config(check=replace(TEST_CHECK, url_timeout_s=30.0))

    async def main() -> Fetcher:
        async with Fetcher(config, allow_private=True, sleep=vt.sleep, clock=vt.clock) as fetcher:
            for url in ("/ra", "/b1", "/b2", "/a2", "/a3"):
                ip = B if url.startswith("/b") else A
                assert (await fetcher.fetch(server.url(url, ip))).response.status == 200
        return fetcher

    fetcher = asyncio.run(asyncio.wait_for(main(), 20))
    at = {}
    for ip, path, stamp in log:
        at.setdefault((ip, path), []).append(stamp)
    first, retry = at[(A, "/ra")]
    assert retry - first >= 2.0  # Retry-After honoured
    assert at[(B, "/b1")] == at[(B, "/b2")] == [retry]  # B never waited for A's slow-down
    assert at[(A, "/a2")][0] - retry >= 1.0  # later URLs on A keep a wider gap...
    assert at[(A, "/a3")][0] - at[(A, "/a2")][0] >= 1.0  # ...for the rest of the run
    assert fetcher.hosts[A].slowdowns == 1 and fetcher.hosts[B].slowdowns == 0
    assert fetcher.hosts[B].delay_s == 0


def test_a_cookie_from_one_host_never_reaches_another(server: LoopbackServer) -> None:
    seen: list[tuple[str, str, str]] = []
    recording = partial(recorded, seen, lambda r: (r.ip, r.path, r.headers.get("cookie", "")))

    install(server, {})
    # A sets a cookie and sends us to B, which sends us back to A: only A may see the cookie again.
    server.routes["/start"] = recording(
        reply(302, b"", location=server.url("/landing", B), set_cookie="sid=secret; Path=/")
    )
    server.routes[(B, "/landing")] = recording(
        reply(302, b"", location=server.url("/back"), set_cookie="bside=1; Path=/")
    )
    server.routes["/back"] = recording(reply(200, html("Back on A")))
    server.routes["/other"] = recording(reply(200, html("Other page on A")))
    outcomes, _ = run([server.url("/start"), server.url("/other")])
    assert outcomes[server.url("/start")].status is Status.OK
    assert sorted(seen) == sorted(
        [(A, "/start", ""), (B, "/landing", ""), (A, "/back", "sid=secret"), (A, "/other", "")]
    )


def test_user_agent_is_the_configured_one_on_every_request(server: LoopbackServer) -> None:
    agents: list[tuple[str, str, str]] = []
    recording = partial(recorded, agents, lambda r: (r.method, r.path, r.headers.get("user-agent", "")))

    install(
        server,
        {
            "/paper.pdf": recording(reply(200, b"%PDF-1.5 " + b"0" * 500, "application/pdf")),
            "/slides.pdf": recording(
                by_method(head=reply(405, ""), get=reply(200, b"%PDF-1.5", "application/pdf"))
            ),
            "/course/week-1": recording(reply(200, html("Week 1", PROSE))),
            "/refresh": recording(reply(200, refresh_page("/course/week-1"))),
            "/retry": recording(sequence(reply(503, "busy"), reply(200, html("Retry worked")))),
        },
    )
    server.fallback[A] = recording(reply(404, "<title>404</title>"))  # the soft-404 probe lands here
    agent = "honest-checker/9.9 (+https://example.org/about-our-link-checker)"
    config = Config(check=replace(TEST_CHECK, user_agent=agent))
    paths = ["/paper.pdf", "/slides.pdf", "/course/week-1", "/refresh", "/retry"]
    outcomes, _ = run([server.url(p) for p in paths], config)
    assert all(o.status is Status.OK for o in outcomes.values()), outcomes
    methods = {m for m, _, _ in agents}
    assert {"HEAD", "GET"} <= methods
    assert any("roadmap-linkcheck" in p for _, p, _ in agents)  # the probe was made and counted
    assert {ua for _, _, ua in agents} == {agent}
