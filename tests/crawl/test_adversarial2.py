"""Adversarial verdicts, second round: TLS failures, Retry-After dates and host-wide slow-downs, pages in
other languages and encodings, meta-refresh and script redirects, cookies and the User-Agent on every
request, servers that break HTTP or never answer, non-HTML bodies, odd URLs and the redirect limit.

Same rule as the first round: never "broken" for a page that works or merely refuses bots, never "ok"
for a page that is dead, parked or walled. Waits are recorded, not slept, so the module stays fast.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
from collections.abc import Iterator
from dataclasses import replace
from email.utils import formatdate

import httpx
import pytest
import trustme

from pipeline.config import Config
from pipeline.crawl.fetch import Fetcher
from pipeline.status import Status
from tests.crawl.server import CAP_SECONDS, LoopbackServer, Request, by_method, redirect, reply, sequence
from tests.crawl.test_live import PROSE, TEST_CHECK, FakeTime, html, run

A, B = "127.0.0.2", "127.0.0.3"
TLS_IP = "127.0.0.5"


class To:
    """A redirect (or refresh) whose target needs the server's port, filled in when the scenario runs."""

    def __init__(self, template: str, make) -> None:
        self.template, self.make = template, make


def refresh_page(target: str, delay: int = 0, text: str = "") -> str:
    return (
        f'<!doctype html><html><head><meta http-equiv="refresh" content="{delay}; url={target}">'
        f"<title>Redirecting</title></head><body>{text}</body></html>"
    )


def js_page(target: str) -> str:
    return f'<html><head><script>window.location = "{target}";</script></head><body></body></html>'


def encoded(title: str, charset: str, *, header: bool = True, meta: bool = False) -> object:
    """A page whose title needs the charset to read right, declared in the header and/or a <meta>."""
    head = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">' if meta else ""
    document = f"<html><head>{head}<title>{title}</title></head><body><h1>{title}</h1>{PROSE}</body></html>"
    ctype = f"text/html; charset={charset}" if header else "text/html"
    return reply(200, document.encode(charset), ctype)


async def _close_mid_headers(request: Request, writer: asyncio.StreamWriter) -> bool:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/ht")
    await writer.drain()
    writer.close()
    return False


async def _garbage(request: Request, writer: asyncio.StreamWriter) -> bool:
    writer.write(b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n\x00\x17\xff garbage")
    await writer.drain()
    writer.close()
    return False


async def _body_cut_short(request: Request, writer: asyncio.StreamWriter) -> bool:
    page = html("Singular value decomposition").encode()
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 90000\r\n\r\n" + page)
    await writer.drain()
    writer.close()
    return False


def raw(data: bytes):
    """Exactly these bytes as the answer, then close."""

    async def handler(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(data)
        await writer.drain()
        writer.close()
        return False

    return handler


ODD_PAGE = html("Odd but fine").encode()
LENGTH = b"Content-Length: %d\r\n\r\n" % len(ODD_PAGE)


def chain(prefix: str, hops: int) -> dict[str, object]:
    routes: dict[str, object] = {f"{prefix}/{i}": redirect(f"{prefix}/{i + 1}", 302) for i in range(hops)}
    routes[f"{prefix}/{hops}"] = reply(200, html("End of the chain"))
    return routes


# name -> (routes {path or (ip, path): handler or To}, url (path on A), expected status, evidence rule)
SCENARIOS = {
    # --- "not found" in other languages and encodings ---------------------------------------------
    "de: Seite nicht gefunden": (
        {"/p": reply(200, html("Seite nicht gefunden"))},
        "/p",
        Status.SOFT_404,
        "title-not-found",
    ),
    "es: Página no encontrada": (
        {"/p": reply(200, html("Página no encontrada"))},
        "/p",
        Status.SOFT_404,
        "title-not-found",
    ),
    "fr: Page introuvable": (
        {"/p": reply(200, html("Page introuvable – Université"))},
        "/p",
        Status.SOFT_404,
        "title-not-found",
    ),
    "ja: ページが見つかりません": (
        {"/p": reply(200, html("ページが見つかりません | 線形代数"))},
        "/p",
        Status.SOFT_404,
        "title-not-found",
    ),
    "ja: お探しのページは見つかりませんでした": (
        {"/p": reply(200, html("お探しのページは見つかりませんでした"))},
        "/p",
        Status.SOFT_404,
        "title-not-found",
    ),
    "ru: Страница не найдена": (
        {"/p": reply(200, html("Страница не найдена"))},
        "/p",
        Status.SOFT_404,
        "title-not-found",
    ),
    "pt: Página não encontrada": (
        {"/p": reply(200, html("Página não encontrada"))},
        "/p",
        Status.SOFT_404,
        "title-not-found",
    ),
    "zh: 页面不存在": ({"/p": reply(200, html("页面不存在"))}, "/p", Status.SOFT_404, "title-not-found"),
    "nl: Pagina niet gevonden": (
        {"/p": reply(200, html("Pagina niet gevonden"))},
        "/p",
        Status.SOFT_404,
        "title-not-found",
    ),
    "de: Fehler 404": ({"/p": reply(200, html("Fehler 404"))}, "/p", Status.SOFT_404, "title-not-found"),
    "de article: Eigenwerte, nicht gefunden? (ok)": (
        {"/p": reply(200, html("Warum Eigenwerte manchmal nicht gefunden werden: Einführung in Numerik"))},
        "/p",
        Status.OK,
        None,
    ),
    "windows-1252 in the header": (
        {"/p": encoded("Página no encontrada", "windows-1252")},
        "/p",
        Status.SOFT_404,
        "title-not-found",
    ),
    "iso-8859-1 in a meta only": (
        {"/p": encoded("Página no encontrada", "iso-8859-1", header=False, meta=True)},
        "/p",
        Status.SOFT_404,
        "title-not-found",
    ),
    "windows-1252 undeclared": (
        {"/p": encoded("Página no encontrada", "windows-1252", header=False)},
        "/p",
        Status.SOFT_404,
        "title-not-found",
    ),
    "windows-1251 Russian": (
        {"/p": encoded("Страница не найдена", "windows-1251")},
        "/p",
        Status.SOFT_404,
        "title-not-found",
    ),
    "shift_jis Japanese": (
        {"/p": encoded("ページが見つかりません", "shift_jis", header=False, meta=True)},
        "/p",
        Status.SOFT_404,
        "title-not-found",
    ),
    "iso-8859-1 ordinary page (ok)": (
        {"/p": encoded("Équations différentielles", "iso-8859-1")},
        "/p",
        Status.OK,
        None,
    ),
    "parked in German": (
        {"/": reply(200, html("notizen.example", "<p>Diese Domain steht zum Verkauf.</p>"))},
        "/",
        Status.SOFT_404,
        "parked-domain",
    ),
    "parked in French": (
        {"/": reply(200, html("notes.example", "<p>Ce nom de domaine est à vendre</p>"))},
        "/",
        Status.SOFT_404,
        "parked-domain",
    ),
    "parked in Japanese": (
        {"/": reply(200, html("notes.example", "<p>このドメインは販売中です</p>"))},
        "/",
        Status.SOFT_404,
        "parked-domain",
    ),
    "article about domain sales (ok)": (
        {"/p": reply(200, html("Pricing models", "<p>Wie ein Händler eine Domain verkauft.</p>" + PROSE))},
        "/p",
        Status.OK,
        None,
    ),
    # --- meta refresh and script redirects ---------------------------------------------------------
    "meta refresh 0 to a page": (
        {"/old": reply(200, refresh_page("/new")), "/new": reply(200, html("Linear maps, new home"))},
        "/old",
        Status.OK,
        None,
    ),
    "meta refresh 0 to a 404": (
        {"/old": reply(200, refresh_page("/gone"))},
        "/old",
        Status.BROKEN,
        "http-404",
    ),
    "meta refresh to a parked page on another host": (
        {
            "/": To("http://{B}:{port}/lander?domain=notes.example", lambda t: reply(200, refresh_page(t))),
            (B, "/lander?domain=notes.example"): reply(200, html("notes.example", "<p>Parked.</p>")),
        },
        "/",
        Status.SOFT_404,
        "parked-domain",
    ),
    "meta refresh to a for-sale page on another host": (
        {
            "/course": To("http://{B}:{port}/sale", lambda t: reply(200, refresh_page(t, 1))),
            (B, "/sale"): reply(200, html("notes.example", "<p>This domain is for sale!</p>")),
        },
        "/course",
        Status.SOFT_404,
        "parked-domain",
    ),
    "meta refresh after 300 s (not followed)": (
        {"/p": reply(200, refresh_page("/elsewhere", 300, PROSE))},
        "/p",
        Status.OK,
        None,
    ),
    "meta refresh after 30 s from an empty page (followed)": (
        {"/old": reply(200, refresh_page("/gone-too", 30))},
        "/old",
        Status.BROKEN,
        "http-404",
    ),
    "meta refresh to itself (reload)": (
        {"/p": reply(200, html("Live loss curves", head='<meta http-equiv="refresh" content="5">'))},
        "/p",
        Status.OK,
        None,
    ),
    "meta refresh loop": (
        {"/r1": reply(200, refresh_page("/r2")), "/r2": reply(200, refresh_page("/r1"))},
        "/r1",
        Status.BROKEN,
        "redirect-loop",
    ),
    "meta refresh only in noscript": (
        {
            "/app": reply(
                200,
                "<html><head><title>Notebook</title><noscript><meta http-equiv=refresh "
                "content='0; url=/nojs'></noscript></head><body><div id=root></div>"
                "<script src=/app.js></script></body></html>",
            )
        },
        "/app",
        Status.OK,
        None,
    ),
    "js window.location redirect (never broken)": (
        {"/js": reply(200, js_page("/somewhere-else"))},
        "/js",
        Status.OK,
        None,
    ),
    "js redirect to a parking lander": (
        {"/js": reply(200, js_page("/lander"))},
        "/js",
        Status.SOFT_404,
        "parked-domain",
    ),
    # --- breaking HTTP ------------------------------------------------------------------------------
    "closes mid-headers": ({"/p": _close_mid_headers}, "/p", Status.SERVER_ERROR, "protocol"),
    "garbage instead of HTTP": ({"/p": _garbage}, "/p", Status.SERVER_ERROR, "protocol"),
    "200 body cut short (judged on what came)": ({"/p": _body_cut_short}, "/p", Status.OK, None),
    "status line without a reason phrase": (
        {"/p": raw(b"HTTP/1.1 200\r\nContent-Type: text/html\r\n" + LENGTH + ODD_PAGE)},
        "/p",
        Status.OK,
        None,
    ),
    "100 Continue before the answer": (
        {
            "/p": raw(
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                + LENGTH
                + ODD_PAGE
            )
        },
        "/p",
        Status.OK,
        None,
    ),
    "bare LF line ends": (
        {"/p": raw(b"HTTP/1.1 200 OK\nContent-Type: text/html\n" + LENGTH.replace(b"\r", b"") + ODD_PAGE)},
        "/p",
        Status.OK,
        None,
    ),
    "HTTP/1.0 body until close": (
        {"/p": raw(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + ODD_PAGE)},
        "/p",
        Status.OK,
        None,
    ),
    "conflicting Content-Length": (
        {"/p": raw(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n" + LENGTH + ODD_PAGE)},
        "/p",
        Status.SERVER_ERROR,
        "protocol",
    ),
    "body without a status line (HTTP/0.9)": ({"/p": raw(ODD_PAGE)}, "/p", Status.SERVER_ERROR, "protocol"),
    "Location with a space and non-ASCII": (
        {
            "/old": raw(b"HTTP/1.1 301 Moved\r\nLocation: /\xc3\xbcber uns\r\nContent-Length: 0\r\n\r\n"),
            "/%C3%BCber%20uns": reply(200, html("About us")),
        },
        "/old",
        Status.REDIRECTED,
        "permanent-redirect",
    ),
    # --- bodies that are not HTML ------------------------------------------------------------------
    "raw text file": (
        {"/raw/main/README.md": reply(200, "# Notes\n\nEigenvalues. " * 40, "text/plain; charset=utf-8")},
        "/raw/main/README.md",
        Status.OK,
        None,
    ),
    "raw html file served as text/plain": (
        {
            "/raw/main/404.html": reply(
                200, html("Page not found", "<p>Custom 404 page template.</p>"), "text/plain; charset=utf-8"
            )
        },
        "/raw/main/404.html",
        Status.OK,
        None,
    ),
    "json document": (
        {"/api/data.json": reply(200, '{"error": null, "items": [1, 2, 3]}', "application/json")},
        "/api/data.json",
        Status.OK,
        None,
    ),
    "noindex page": (
        {"/p": reply(200, html("Lecture 3", head='<meta name="robots" content="noindex, nofollow">'))},
        "/p",
        Status.OK,
        None,
    ),
    # --- odd URLs -----------------------------------------------------------------------------------
    "query parameters": (
        {"/watch?v=abc123&list=PL9&t=42s": reply(200, html("Lecture 7: PCA"))},
        "/watch?v=abc123&list=PL9&t=42s",
        Status.OK,
        None,
    ),
    "percent-encoded fragment vs raw id": (
        {"/p": reply(200, html("Menu", "<h2 id='café'>Café</h2>" + PROSE))},
        "/p#caf%C3%A9",
        Status.OK,
        None,
    ),
    "raw unicode fragment vs raw id": (
        {"/p": reply(200, html("Menu", "<h2 id='café'>Café</h2>" + PROSE))},
        "/p#café",
        Status.OK,
        None,
    ),
    "percent-encoded fragment really missing": (
        {"/p": reply(200, html("Menu", "<h2 id='tea'>Tea</h2>" + PROSE))},
        "/p#caf%C3%A9",
        Status.ANCHOR_MISSING,
        "anchor-missing",
    ),
    # --- status codes and HEAD ----------------------------------------------------------------------
    "410 Gone": ({"/p": reply(410, html("Gone"))}, "/p", Status.BROKEN, "http-410"),
    "html page: HEAD 404, GET 200": (
        {"/p": by_method(head=reply(404, ""), get=reply(200, html("Works with GET")))},
        "/p",
        Status.OK,
        None,
    ),
    "html at a .pdf URL: HEAD 404, GET 200": (
        {"/slides.pdf": by_method(head=reply(404, "", "text/html"), get=reply(200, html("Slides viewer")))},
        "/slides.pdf",
        Status.OK,
        None,
    ),
    # --- the redirect limit (10) ----------------------------------------------------------------------
    "exactly 10 redirects": (chain("/ten", 10), "/ten/0", Status.OK, None),
    "11 redirects": (chain("/eleven", 11), "/eleven/0", Status.BROKEN, "too-many-redirects"),
    "10 hops with a meta refresh among them": (
        {**chain("/mix", 9), "/mix/9": reply(200, refresh_page("/mix/end"))},
        "/mix/0",
        Status.BROKEN,
        "http-404",
    ),
    "11 hops with a meta refresh among them": (
        {**chain("/mix11", 10), "/mix11/10": reply(200, refresh_page("/mix11/end"))},
        "/mix11/0",
        Status.BROKEN,
        "too-many-redirects",
    ),
}


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(ips=(A, B)) as srv:
        yield srv


def _install(server: LoopbackServer, routes: dict) -> None:
    fill = {"A": A, "B": B, "port": server.port}
    server.routes.clear()
    server.fallback.clear()
    for key, handler in routes.items():
        if isinstance(handler, To):
            handler = handler.make(handler.template.format(**fill))
        server.routes[key] = handler


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_adversarial_verdict(server: LoopbackServer, name: str) -> None:
    routes, target, expected, rule = SCENARIOS[name]
    _install(server, routes)
    url = server.url(target)
    outcome = run([url])[0][url]
    assert outcome.status is expected, (name, outcome.evidence)
    if expected is not Status.OK:
        assert outcome.evidence and all(e.detail for e in outcome.evidence), name
    if rule is not None:
        assert rule in {e.rule for e in outcome.evidence}, outcome.evidence


def test_meta_refresh_is_recorded_as_a_hop(server: LoopbackServer) -> None:
    _install(server, {"/old": reply(200, refresh_page("/new")), "/new": reply(200, html("New"))})
    url = server.url("/old")
    outcome = run([url])[0][url]
    assert outcome.status is Status.OK
    assert [(h.url, h.location) for h in outcome.redirect_chain] == [(url, server.url("/new"))]


def test_meta_refresh_to_a_known_parking_host_is_soft_404_without_reaching_it(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def nxdomain(*args, **kw):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    _install(server, {"/": reply(200, refresh_page("https://dan.com/buy-domain/notes.example"))})
    url = server.url("/")
    monkeypatch.setattr(socket, "getaddrinfo", nxdomain)
    outcome = run([url])[0][url]
    assert outcome.status is Status.SOFT_404
    assert outcome.evidence[0].rule == "parked-domain" and "dan.com" in outcome.evidence[0].detail


def test_meta_refresh_to_a_private_address_is_refused(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = socket.getaddrinfo
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, *a, **k: real(A if host in ("public.example", b"public.example") else host, *a, **k),
    )
    server.routes.clear()
    url = f"http://public.example:{server.port}/r"
    outcome = run([url], allow_private=False)[0][url]  # refused on the first hop already
    assert outcome.status is Status.SKIPPED
    _install(server, {"/r": reply(200, refresh_page("http://169.254.169.254/latest/meta-data/"))})
    outcome = run([server.url("/r")], allow_private=False)[0][server.url("/r")]
    assert outcome.status is Status.SKIPPED and outcome.evidence[0].rule == "unsafe-address"


# --- TLS -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def _server_context(ca: trustme.CA, kind: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    now = dt.datetime.now(dt.UTC)
    if kind == "valid":
        ca.issue_cert(TLS_IP).configure_cert(context)
    elif kind == "expired":
        ca.issue_cert(
            TLS_IP, not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(days=2)
        ).configure_cert(context)
    elif kind == "wrong host":
        ca.issue_cert("other.example").configure_cert(context)
    elif kind == "self-signed":
        own = trustme.CA()  # a root certificate presented as the server's own: signed by itself
        with own.cert_pem.tempfile() as cert, own.private_key_pem.tempfile() as key:
            context.load_cert_chain(cert, key)
    return context


@pytest.mark.parametrize(
    ("kind", "status", "words"),
    [
        ("valid", Status.OK, None),
        ("expired", Status.TLS_ERROR, "expired"),
        ("wrong host", Status.TLS_ERROR, "mismatch"),
        ("self-signed", Status.TLS_ERROR, "self-signed"),
    ],
)
def test_tls_certificates(ca: trustme.CA, kind: str, status: Status, words: str | None) -> None:
    client = ssl.create_default_context()
    ca.configure_trust(client)  # the test CA is trusted, as a public CA would be
    with LoopbackServer(ips=(TLS_IP,), tls=_server_context(ca, kind)) as srv:
        srv.route("/secure", reply(200, html("Secure notes")))
        url = srv.url("/secure")
        clock = FakeTime()
        outcome = run([url], transport=httpx.AsyncHTTPTransport(verify=client), clock=clock)[0][url]
    assert outcome.status is status, outcome.evidence
    if words:
        assert outcome.evidence[0].rule == "tls" and words in outcome.evidence[0].detail.lower()
        assert clock.sleeps == []  # a certificate problem is final: not retried


# --- Retry-After and host-wide slow-downs ------------------------------------------------------------


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
    _install(server, {"/busy": sequence(reply(503, "busy", **headers), reply(200, html("Back")))})
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
    _install(server, {"/busy": sequence(reply(429, "wait", retry_after=later), reply(200, html("Back")))})
    clock = FakeTime()
    url = server.url("/busy")
    assert run([url], clock=clock)[0][url].status is Status.OK
    assert 0.5 < clock.sleeps[0] <= 2.0


def test_429_slows_the_whole_host_and_no_other(server: LoopbackServer) -> None:
    vt, log = VirtualTime(), []
    _install(
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


# --- cookies and the User-Agent ----------------------------------------------------------------------


def test_a_cookie_from_one_host_never_reaches_another(server: LoopbackServer) -> None:
    seen: list[tuple[str, str, str]] = []

    def recording(inner):
        async def handler(request: Request, writer: asyncio.StreamWriter) -> bool:
            seen.append((request.ip, request.path, request.headers.get("cookie", "")))
            return await inner(request, writer)

        return handler

    _install(server, {})
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

    def recording(inner):
        async def handler(request: Request, writer: asyncio.StreamWriter) -> bool:
            agents.append((request.method, request.path, request.headers.get("user-agent", "")))
            return await inner(request, writer)

        return handler

    _install(
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


# --- a server that never answers ---------------------------------------------------------------------


async def _silent(request: Request, writer: asyncio.StreamWriter) -> bool:
    await asyncio.sleep(CAP_SECONDS)
    return False


def test_server_that_never_answers_times_out_within_the_url_limit(server: LoopbackServer) -> None:
    _install(server, {"/silent": _silent})
    check = replace(TEST_CHECK, read_timeout_s=0.3, url_timeout_s=0.8)
    url = server.url("/silent")
    outcome = run([url], Config(check=check))[0][url]
    assert outcome.status is Status.TIMEOUT, outcome.evidence
    assert outcome.evidence[0].rule in ("read-timeout", "url-timeout")
    assert outcome.elapsed_ms is not None and outcome.elapsed_ms <= check.url_timeout_s * 1000 + 500


def test_redirect_target_is_percent_encoded_for_the_catalogue(server: LoopbackServer) -> None:
    location = b"HTTP/1.1 301 Moved\r\nLocation: /\xc3\xbcber uns?q=a b\r\nContent-Length: 0\r\n\r\n"
    _install(server, {"/old": raw(location), "/%C3%BCber%20uns?q=a%20b": reply(200, html("About us"))})
    url = server.url("/old")
    outcome = run([url])[0][url]
    assert outcome.status is Status.REDIRECTED
    assert outcome.final_url == server.url("/%C3%BCber%20uns?q=a%20b")
