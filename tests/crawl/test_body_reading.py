"""Reading bodies against real servers on 127.x: a trickle ends as a timeout within seconds of server
time, a slow first byte does not, and a #fragment is looked for past the body limit of a long page.

Time is a manual clock the test server moves: a handler "takes" seconds by advancing it, so the rules
are exercised in server time while the real test runs in milliseconds."""

from __future__ import annotations

import asyncio
import gzip
import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest

from pipeline.config import CheckConfig, Config
from pipeline.crawl import fetch
from pipeline.crawl.body import AnchorScanner
from pipeline.crawl.fetch import Fetcher
from pipeline.status import Outcome, Status
from tests.crawl import helpers
from tests.crawl.helpers import TEST_CHECK
from tests.crawl.server import LoopbackServer, Request, head, reply

A = "127.0.0.2"
# The shared test limits, with the server-time budgets these rules are about.
CHECK = replace(TEST_CHECK, read_timeout_s=2.0, url_timeout_s=60.0, min_body_kb_s=1.0, body_grace_s=5.0)
PROSE = "<p>" + "The gradient points uphill, the steepest way. " * 40 + "</p>"


class ManualClock:
    """Monotonic time that only the test server moves (thread-safe: the server runs in a thread)."""

    def __init__(self) -> None:
        self._now = 500.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    async def sleep(self, seconds: float) -> None:  # back-off waits: recorded as time passing
        self.advance(seconds)
        await asyncio.sleep(0)


def trickling(clock: ManualClock, per_byte_s: float, limit: int = 2000):
    """Headers at once, then one byte per `per_byte_s` seconds of server time (bounded)."""

    async def handler(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(head(200, {"Content-Type": "text/html"}, length=1_000_000))
        await writer.drain()
        for _ in range(limit):
            clock.advance(per_byte_s)
            writer.write(b"x")
            await writer.drain()
            await asyncio.sleep(0.002)
        return False

    return handler


def late_first_byte(clock: ManualClock, wait_s: float, body: bytes):
    async def handler(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(head(200, {"Content-Type": "text/html"}, length=len(body)))
        await writer.drain()
        await asyncio.sleep(0.05)  # headers and body in separate packets
        clock.advance(wait_s)
        for start in range(0, len(body), 16 * 1024):
            writer.write(body[start : start + 16 * 1024])
            await writer.drain()
        return True

    return handler


def run(urls: list[str], clock: ManualClock, check: CheckConfig = CHECK) -> dict[str, Outcome]:
    """The shared runner with the manual clock as both the fetcher's time and its back-off waits."""
    return helpers.run(urls, Config(check=check), clock=clock, monotonic=clock)[0]


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(ips=(A,)) as srv:
        yield srv


def page(title: str, body: str) -> bytes:
    return f"<!doctype html><html><head><title>{title}</title></head><body>{body}</body></html>".encode()


def test_a_trickle_ends_as_a_timeout_within_grace_and_read_timeout(server: LoopbackServer) -> None:
    clock = ManualClock()
    url = server.route("/trickle", trickling(clock, per_byte_s=0.5))
    outcome = run([url], clock)[url]
    assert outcome.status is Status.TIMEOUT
    assert outcome.error_class == "slow_body"
    assert outcome.evidence[0].rule == "slow-body"
    assert "under the minimum of 1 KB/s" in outcome.evidence[0].detail
    assert outcome.elapsed_ms is not None and 5_000 <= outcome.elapsed_ms <= 20_000  # not the 60 s budget
    assert server.hits("/trickle") == 1  # a trickle is not retried


def test_a_head_that_trickles_in_ends_as_a_timeout_long_before_the_url_budget(server: LoopbackServer) -> None:
    """A header line now and then resets the read timeout at every line: the head as a whole has the
    read timeout and the grace (0.4 s here), not the URL's budget (30 s here)."""

    async def trickling_head(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n")
        for line in range(200):  # 10 s at most, and the server's own cap
            writer.write(b"X-Slow-%d: a\r\n" % line)
            await writer.drain()
            await asyncio.sleep(0.05)
        return False

    check = replace(
        TEST_CHECK, connect_timeout_s=0.2, read_timeout_s=0.2, body_grace_s=0.2, url_timeout_s=30.0
    )
    url = server.route("/head", trickling_head)
    outcome = helpers.run([url], Config(check=check))[0][url]
    assert outcome.status is Status.TIMEOUT and outcome.error_class == "slow_body", outcome.evidence
    assert "the response head was not whole 0.4 s after the request" in outcome.evidence[0].detail
    assert server.hits("/head") == 1  # a trickle is not retried


def test_a_body_just_above_the_minimum_rate_is_read(server: LoopbackServer) -> None:
    clock = ManualClock()
    body = page("Steady", PROSE * 3)  # ~6 KB at 2 KB/s of server time: slow, but steady
    per_chunk = len(body[:1024]) / 2048

    async def steady(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(head(200, {"Content-Type": "text/html"}, length=len(body)))
        for start in range(0, len(body), 1024):
            clock.advance(per_chunk)
            writer.write(body[start : start + 1024])
            await writer.drain()
            await asyncio.sleep(0.002)
        return True

    url = server.route("/steady", steady)
    assert run([url], clock)[url].status is Status.OK


def test_a_slow_first_byte_then_a_normal_page_stays_ok(server: LoopbackServer) -> None:
    clock = ManualClock()
    # 8 s before the body starts, then 2 KB at once: rated from the first byte, not from the headers.
    url = server.route("/late", late_first_byte(clock, 8.0, page("Late but fine", PROSE)))
    outcome = run([url], clock)[url]
    assert outcome.status is Status.OK, outcome.evidence


def test_a_trickle_does_not_hold_the_run(server: LoopbackServer) -> None:
    from pipeline.crawl.runner import Crawl
    from tests.factory import resource

    clock = ManualClock()
    server.route("/trickle", trickling(clock, per_byte_s=0.5))
    for i in range(6):
        server.route(f"/fine/{i}", reply(200, page(f"Fine {i}", PROSE)))
    resources = [resource("trickle", url=server.url("/trickle"), position=10)]
    resources += [resource(f"fine-{i}", url=server.url(f"/fine/{i}"), position=20 + i) for i in range(6)]
    config = Config(check=CHECK)
    fetcher = Fetcher(config, allow_private=True, clock=clock, sleep=clock.sleep)

    async def main() -> dict[str, Status]:
        crawl = Crawl(resources, config, fetcher)
        return {r.id: outcome.status async for r, outcome, _ in crawl.results()}

    statuses = asyncio.run(asyncio.wait_for(main(), 30))
    assert statuses == {"trickle": Status.TIMEOUT, **{f"fine-{i}": Status.OK for i in range(6)}}
    assert clock() - 500.0 <= 20.0  # the whole run, in server time: the trickle cost ~5 s, not 60


# --- anchors past the body limit ------------------------------------------------------------------


def long_page(extra_kb: int, anchor: str) -> bytes:
    filler = "".join(f"<p id=p{i}>{PROSE}</p>" for i in range(extra_kb // 2))
    return page("Long notes", f"<h2 id=intro>Intro</h2>{filler}<h2 id='{anchor}'>Far down</h2>{PROSE}")


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        pytest.param("far-section", Status.OK, id="anchor-past-the-limit-is-found"),
        pytest.param("nowhere", Status.ANCHOR_MISSING, id="anchor-in-no-part-is-missing"),
        pytest.param("intro", Status.OK, id="anchor-in-the-prefix"),
    ],
)
def test_anchors_are_looked_for_in_the_whole_document(
    server: LoopbackServer, fragment: str, expected: Status, encoding: str
) -> None:
    body = long_page(600, "far-section")  # ~600 KB, the body limit is 64 KB
    if encoding == "gzip":
        handler = reply(200, gzip.compress(body), content_encoding="gzip")
    else:
        handler = reply(200, body)
    url = server.route("/notes", handler)
    outcome = run([f"{url}#{fragment}"], ManualClock())[f"{url}#{fragment}"]
    assert outcome.status is expected, outcome.evidence


def test_a_document_longer_than_the_scan_limit_never_reads_missing(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch, "ANCHOR_SCAN_LIMIT", 256 * 1024)
    url = server.route("/huge", reply(200, long_page(600, "far-section")))
    outcome = run([f"{url}#nowhere"], ManualClock())[f"{url}#nowhere"]
    assert outcome.status is Status.OK  # we did not see it all: no verdict on the anchor


@pytest.mark.parametrize("piece", [1, 3, 7, 64])
def test_the_anchor_scanner_finds_values_across_piece_boundaries(piece: int) -> None:
    markup = b"""<div id="a-1"><a name='b 2'>x</a><section ID=c3 class="x"><p data-id="no">id=notatag</p>"""
    scanner = AnchorScanner()
    for start in range(0, len(markup), piece):
        scanner.feed(markup[start : start + piece])
    assert scanner.close() == {"a-1", "b 2", "c3"}
