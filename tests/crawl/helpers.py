"""Shared helpers for the crawler's tests: pages, hostile handlers, a recorded clock, and one way to run the
real Fetcher -> classify path against the loopback servers of tests/crawl/server.py.

Imported by the test modules of tests/crawl/ and by benchmarks/; holds no tests itself.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Protocol

import httpx
import pytest

from pipeline.checkrun import CheckReport
from pipeline.config import CheckConfig, Config
from pipeline.crawl.fetch import Fetcher
from pipeline.crawl.runner import Crawler, split_fragment
from pipeline.model import Resource
from pipeline.status import Outcome, Status
from tests.crawl.server import Handler, LoopbackServer, Request, redirect, reply

A, B = "127.0.0.2", "127.0.0.3"  # two hosts of one loopback server, so a redirect can leave the host
TLS_IP = "127.0.0.5"
TEST_CHECK = CheckConfig(
    concurrency=8,
    per_host=2,
    host_delay_ms=0,
    connect_timeout_s=2.0,
    read_timeout_s=1.0,
    url_timeout_s=2.5,
    max_body_kb=64,
    retries=2,
    backoff_base_s=0.5,
)

# --- pages -----------------------------------------------------------------------------------------

PROSE = "<p>" + "Eigenvectors are the directions a matrix only stretches. " * 30 + "</p>"
SHORT_PROSE = "<p>" + "A short abstract about the spectral theorem. " * 12 + "</p>"
PDF = b"%PDF-1.4\n" + b"0" * 2000
HUGE_PDF = b"%PDF-1.4\n" + b"0" * (6 * 1024 * 1024)
NOT_FREE = '<script type="application/ld+json">{"@type":"Article","isAccessibleForFree":false}</script>'
FOOTER = (
    "<footer><form><p>Subscribe to our newsletter for monthly notes.</p>"
    "<input type=email name=email><button>Subscribe</button></form></footer>"
)
HEADER_LOGIN = "<header><nav><a href='/login'>Log in</a> <a href='/signup'>Sign up</a></nav></header>"
HEADER_LOGIN_FORM = (
    "<header><form action='/session' method=post><input name=user>"
    "<input type=password name=pw><button>Log in</button></form></header>"
)
# A gzip body that inflates to 50 MB: only the configured prefix may ever be decompressed.
BOMB = gzip.compress(b"<html><body><p>" + b"a" * (50 * 1024 * 1024), compresslevel=9)


def html(title: str, body: str = PROSE, head: str = "") -> str:
    document = f"<!doctype html><html><head><title>{title}</title>{head}</head>"
    return document + f"<body><h1>{title}</h1>{body}</body></html>"


CF_BODY = html(
    "Just a moment...",
    "<script src='/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1'></script><p>Checking...</p>",
)


def refresh_page(target: str, delay: int = 0, text: str = "") -> str:
    return (
        f'<!doctype html><html><head><meta http-equiv="refresh" content="{delay}; url={target}">'
        f"<title>Redirecting</title></head><body>{text}</body></html>"
    )


def js_page(target: str) -> str:
    return f'<html><head><script>window.location = "{target}";</script></head><body></body></html>'


# --- handlers --------------------------------------------------------------------------------------


def gz(status: int, data: bytes) -> Handler:
    return reply(status, data, content_encoding="gzip")


def encoded(title: str, charset: str, *, header: bool = True, meta: bool = False) -> Handler:
    """A page whose title needs the charset to read right, declared in the header and/or a <meta>."""
    head = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">' if meta else ""
    document = f"<html><head>{head}<title>{title}</title></head><body><h1>{title}</h1>{PROSE}</body></html>"
    ctype = f"text/html; charset={charset}" if header else "text/html"
    return reply(200, document.encode(charset), ctype)


def raw(data: bytes) -> Handler:
    """Exactly these bytes as the answer, then close."""

    async def handler(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(data)
        await writer.drain()
        writer.close()
        return False

    return handler


# Answers that break off: exactly these bytes, then the connection closes.
close_mid_headers = raw(b"HTTP/1.1 200 OK\r\nContent-Type: text/ht")
garbage = raw(b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n\x00\x17\xff garbage")
body_cut_short = raw(
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 90000\r\n\r\n"
    + html("Singular value decomposition").encode()
)


ODD_PAGE = html("Odd but fine").encode()
LENGTH = b"Content-Length: %d\r\n\r\n" % len(ODD_PAGE)
CHUNKED = b"%x\r\n%s\r\n0\r\n\r\n" % (len(ODD_PAGE), ODD_PAGE)  # ODD_PAGE as one chunk, then the end


def chain(prefix: str, hops: int) -> dict[str, Handler]:
    """`hops` temporary redirects prefix/0 -> prefix/1 -> ... -> a page at prefix/<hops>."""
    routes: dict[str, Handler] = {f"{prefix}/{i}": redirect(f"{prefix}/{i + 1}", 302) for i in range(hops)}
    routes[f"{prefix}/{hops}"] = reply(200, html("End of the chain"))
    return routes


class To:
    """A handler whose target needs the server's port ("http://{B}:{port}/x"), made when the scenario
    runs: a 301 by default, or whatever `make` builds from the filled-in target (a refresh page...)."""

    def __init__(self, template: str, make: Callable[[str], Handler] | None = None) -> None:
        self.template = template
        self.make = make or (lambda target: redirect(target, 301))


# --- running ---------------------------------------------------------------------------------------


class Waits(Protocol):
    """What takes the fetcher's back-off waits (FakeTime, or a test's own manual clock)."""

    async def sleep(self, seconds: float) -> None: ...


class FakeTime:
    """Records back-off waits and returns at once (only yields to the loop)."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)


def run(
    urls: list[str],
    config: Config | None = None,
    *,
    allow_private: bool = True,
    transport: httpx.AsyncBaseTransport | None = None,
    tls: ssl.SSLContext | None = None,
    clock: Waits | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> tuple[dict[str, Outcome], Fetcher]:
    """Fetch and classify each URL as a check run would (bounded: 30 s for all of them). clock: takes the
    back-off waits; monotonic: the time the fetcher's budgets read."""
    config = config or Config(check=TEST_CHECK)
    clock = clock or FakeTime()

    async def main() -> tuple[dict[str, Outcome], Fetcher]:
        fetcher = Fetcher(
            config,
            transport=transport,
            tls=tls,
            allow_private=allow_private,
            sleep=clock.sleep,
            clock=monotonic,
        )
        results: dict[str, Outcome] = {}
        async with fetcher:
            crawler = Crawler(config, fetcher)

            async def one(url: str) -> None:
                base, fragment = split_fragment(url)
                _, verdicts = await crawler.verdicts(base, [(fragment, "free")])
                results[url] = verdicts[fragment, "free"]

            await asyncio.gather(*(one(u) for u in urls))
        return results, fetcher

    return asyncio.run(asyncio.wait_for(main(), 30))


def install(server: LoopbackServer, routes: dict) -> None:
    """Serve exactly these routes: {path or (ip, path) or "*" (every other path on A): handler or To}."""
    fill = {"A": A, "B": B, "port": server.port}
    server.routes.clear()
    server.fallback.clear()
    for key, handler in routes.items():
        if isinstance(handler, To):
            handler = handler.make(handler.template.format(**fill))
        if key == "*":
            server.fallback[A] = handler
        else:
            server.routes[key] = handler


def assert_verdict(
    server: LoopbackServer, routes: dict, target: str, status: Status, rule: str | None
) -> Outcome:
    """Serve the routes, check target (a path on A), and hold the verdict to `status` with evidence:
    any verdict but ok says why, and `rule` (if given) is among the evidence."""
    install(server, routes)
    url = server.url(target)
    outcome = run([url])[0][url]
    assert outcome.status is status, outcome.evidence
    if status is not Status.OK:
        assert outcome.evidence and all(e.detail for e in outcome.evidence), outcome.evidence
    if rule is not None:
        assert rule in {e.rule for e in outcome.evidence}, outcome.evidence
    return outcome


def verdict_test(cases: list) -> Callable[..., None]:
    """The scenario table's test, one for every case module: `test_verdict = verdict_test(CASES)` runs each
    row (`case(name, routes, url, status, rule)`) through assert_verdict on the module's `server`."""

    @pytest.mark.parametrize(("routes", "url", "status", "rule"), cases)
    def test_verdict(
        server: LoopbackServer, routes: dict, url: str, status: Status, rule: str | None
    ) -> None:
        assert_verdict(server, routes, url, status, rule)

    return test_verdict


# --- pages of issue 10 §3 ----------------------------------------------------------------------------

TINY_STATIC = (
    "<!doctype html><html><head><title>Acme Notes</title></head><body><p>Nothing here.</p></body></html>"
)
TINY_SCRIPTED = (
    "<!doctype html><html><head><title>Acme Notes</title><script src='/app.js'></script></head>"
    "<body><p>Loading…</p></body></html>"
)
CONSENT_WALL = (
    "<!doctype html><html><head><title>Before you continue to Acme</title></head><body>"
    "<h1>We value your privacy</h1><p>We and our partners use cookies to store and access information on"
    " your device, to measure audiences and to show you content. You can accept or reject all of them.</p>"
    "<form method=post action=/consent><button name=set value=accept>Accept all</button>"
    "<button name=set value=reject>Reject all</button></form></body></html>"
)
ONETRUST_WALL = (
    "<!doctype html><html><head><title>Acme Learning</title>"
    "<script src='https://cdn.cookielaw.org/scripttemplates/otSDKStub.js'></script></head><body>"
    "<div id='onetrust-consent-sdk'><p>This site stores data such as cookies to enable essential site"
    " functionality, as well as marketing, personalisation and analytics. You may change your settings at"
    " any time or accept the default settings.</p><button>OK</button></div></body></html>"
)
BOT_WALL_TEXT = (
    "<!doctype html><html><head><title>Acme Learning</title></head><body>"
    "<p>Checking your browser before accessing acme.example.</p><p>This process is automatic.</p>"
    "</body></html>"
)


def jekyll_stub(target: str, canonical: str | None = None) -> str:
    """What jekyll-redirect-from (GitHub Pages) publishes at a moved page's old address."""
    canonical = canonical or target
    return (
        f'<!DOCTYPE html><html lang="en-US"><meta charset="utf-8"><title>Redirecting&hellip;</title>'
        f'<link rel="canonical" href="{canonical}"><script>location="{target}"</script>'
        f'<meta http-equiv="refresh" content="0; url={target}"><meta name="robots" content="noindex">'
        f'<h1>Redirecting&hellip;</h1><a href="{target}">Click here if you are not redirected.</a></html>'
    )


def hugo_alias(target: str) -> str:
    """What Hugo publishes for an alias of a moved page."""
    return (
        f'<!DOCTYPE html><html lang="en-us"><head><title>{target}</title>'
        f'<link rel="canonical" href="{target}"><meta name="robots" content="noindex"><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="0; url={target}"></head></html>'
    )


def case(name: str, *values: object) -> object:
    """One named row of a scenario table: `case("what it shows", routes, url, status, rule)`."""
    return pytest.param(*values, id=name)


def served(name: str, path: str, handler: Handler, *expected: object) -> object:
    """A named case whose one route is the page it checks: `served(name, "/p", handler, status, rule)`."""
    return case(name, {path: handler}, path, *expected)


def resolve_to_loopback(monkeypatch: pytest.MonkeyPatch, name: str = "public.example") -> None:
    """Make a public-looking host name resolve to the loopback host A (a name that points inside)."""
    real = socket.getaddrinfo

    def fake(host: object, *args: object, **kw: object) -> object:
        return real(A if host in (name, name.encode()) else host, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def check_in_store(tmp_path: Path, resources: list[Resource]) -> CheckReport:
    """Sync these resources into a fresh SQLite store and run one check over them (loopback allowed)."""
    from pipeline.checkrun import CheckRequest, check_catalogue
    from pipeline.store.engine import open_store
    from pipeline.store.sync import sync_catalogue
    from tests.factory import catalogue

    cat = replace(catalogue(resources), config=Config(check=TEST_CHECK))
    engine = open_store(f"sqlite:///{tmp_path / 'r.db'}", tmp_path)
    try:
        sync_catalogue(engine, cat)
        return asyncio.run(check_catalogue(engine, cat, CheckRequest(allow_private_addresses=True)))
    finally:
        engine.dispose()


def children(pid: int) -> list[int]:
    """The processes pid started that are still its children (Linux's /proc; none elsewhere)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie, ended and not yet reaped, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
