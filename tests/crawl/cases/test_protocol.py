"""Protocol oddities: servers that break HTTP, TLS certificates, odd URLs, servers that never answer.

Every scenario runs the real Fetcher -> classify path against loopback servers on 127.x.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
from dataclasses import replace

import pytest
import trustme

from pipeline.config import Config
from pipeline.status import Status
from tests.crawl.helpers import (
    CHUNKED,
    LENGTH,
    ODD_PAGE,
    TEST_CHECK,
    TLS_IP,
    FakeTime,
    body_cut_short,
    case,
    close_mid_headers,
    garbage,
    html,
    install,
    raw,
    resolve_to_loopback,
    run,
    served,
    verdict_test,
)
from tests.crawl.server import CAP_SECONDS, LoopbackServer, Request, reply

CASES = [
    served(
        "301 without Location",
        "/nowhere",
        reply(301, html("Moved")),
        Status.SERVER_ERROR,
        "redirect-without-location",
    ),
    case(
        "non-ascii path",
        {"/Stra%C3%9Fe/%C3%BCber": reply(200, html("Über"))},
        "/Straße/über",
        Status.OK,
        None,
    ),
    served("percent-encoded spaces", "/my%20notes.html", reply(200, html("Notes")), Status.OK, None),
    case("non-ascii path missing", {}, "/Straße/fehlt", Status.BROKEN, "http-404"),
    served("closes mid-headers", "/p", close_mid_headers, Status.SERVER_ERROR, "protocol"),
    served("garbage instead of HTTP", "/p", garbage, Status.SERVER_ERROR, "protocol"),
    served("200 body cut short (judged on what came)", "/p", body_cut_short, Status.OK, None),
    served(
        "status line without a reason phrase",
        "/p",
        raw(b"HTTP/1.1 200\r\nContent-Type: text/html\r\n" + LENGTH + ODD_PAGE),
        Status.OK,
        None,
    ),
    served(
        "100 Continue before the answer",
        "/p",
        raw(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + LENGTH + ODD_PAGE
        ),
        Status.OK,
        None,
    ),
    served(
        "bare LF line ends",
        "/p",
        raw(b"HTTP/1.1 200 OK\nContent-Type: text/html\n" + LENGTH.replace(b"\r", b"") + ODD_PAGE),
        Status.OK,
        None,
    ),
    served(
        "HTTP/1.0 body until close",
        "/p",
        raw(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + ODD_PAGE),
        Status.OK,
        None,
    ),
    served(
        "conflicting Content-Length",
        "/p",
        raw(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n" + LENGTH + ODD_PAGE),
        Status.SERVER_ERROR,
        "protocol",
    ),
    # Heads aiohttp refuses and browsers open: read again as a browser reads them (crawl/lenient.py).
    served(
        "Content-Length beside chunked Transfer-Encoding",
        "/p",
        raw(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n" + LENGTH + CHUNKED
        ),
        Status.OK,
        None,
    ),
    served(
        "a space before a header's colon",
        "/p",
        raw(b"HTTP/1.1 200 OK\r\nContent-Type : text/html\r\n" + LENGTH + ODD_PAGE),
        Status.OK,
        None,
    ),
    served(
        "a header line without a colon",
        "/p",
        raw(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Powered-By PHP\r\n" + LENGTH + ODD_PAGE),
        Status.OK,
        None,
    ),
    served(
        "the same Content-Length twice",
        "/p",
        raw(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
            + LENGTH.replace(b"\r\n\r\n", b"\r\n")
            + LENGTH
            + ODD_PAGE
        ),
        Status.OK,
        None,
    ),
    served(
        "300 header lines",
        "/p",
        raw(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
            + b"Set-Cookie: c=1\r\n" * 300
            + LENGTH
            + ODD_PAGE
        ),
        Status.OK,
        None,
    ),
    served(
        "a chunk size that is no number",
        "/p",
        raw(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
            + ODD_PAGE
        ),
        Status.SERVER_ERROR,
        "protocol",
    ),
    served("body without a status line (HTTP/0.9)", "/p", raw(ODD_PAGE), Status.SERVER_ERROR, "protocol"),
    case(
        "Location with a space and non-ASCII",
        {
            "/old": raw(b"HTTP/1.1 301 Moved\r\nLocation: /\xc3\xbcber uns\r\nContent-Length: 0\r\n\r\n"),
            "/%C3%BCber%20uns": reply(200, html("About us")),
        },
        "/old",
        Status.REDIRECTED,
        "permanent-redirect",
    ),
    served(
        "query parameters",
        "/watch?v=abc123&list=PL9&t=42s",
        reply(200, html("Lecture 7: PCA")),
        Status.OK,
        None,
    ),
]


test_verdict = verdict_test(CASES)


def test_idn_host_gets_a_verdict_with_evidence(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_such_name(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    url = "http://bücher.example/lineare-algebra"
    outcome = run([url], allow_private=False)[0][url]
    assert outcome.status is Status.BROKEN and outcome.evidence[0].rule == "dns"


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
        outcome = run([url], tls=client, clock=clock)[0][url]
    assert outcome.status is status, outcome.evidence
    if words:
        assert outcome.evidence[0].rule == "tls" and words in outcome.evidence[0].detail.lower()
        assert clock.sleeps == []  # a certificate problem is final: not retried


def test_an_https_url_on_a_plain_http_server_is_a_tls_error_at_once() -> None:
    """The server reads the TLS hello as a bad request and hangs up: a TLS problem of the link, final, and
    never a network failure (which would count towards "the network looks down")."""
    with LoopbackServer(ips=(TLS_IP,)) as srv:
        srv.route("/plain", reply(200, html("Plain notes")))
        url = srv.url("/plain").replace("http://", "https://")
        clock = FakeTime()
        outcome = run([url], clock=clock)[0][url]
    assert outcome.status is Status.TLS_ERROR and outcome.evidence[0].rule == "tls"
    assert clock.sleeps == []  # not retried


async def _silent(request: Request, writer: asyncio.StreamWriter) -> bool:
    await asyncio.sleep(CAP_SECONDS)
    return False


def test_server_that_never_answers_times_out_within_the_url_limit(server: LoopbackServer) -> None:
    install(server, {"/silent": _silent})
    check = replace(TEST_CHECK, read_timeout_s=0.3, url_timeout_s=0.8)
    url = server.url("/silent")
    outcome = run([url], Config(check=check))[0][url]
    assert outcome.status is Status.TIMEOUT, outcome.evidence
    assert outcome.evidence[0].rule in ("read-timeout", "url-timeout")
    assert outcome.elapsed_ms is not None and outcome.elapsed_ms <= check.url_timeout_s * 1000 + 500


@pytest.mark.parametrize(
    ("url", "address"),
    [
        case("private", "http://10.1.2.3/notes", "10.1.2.3 is a private address"),
        case("IPv6 loopback", "http://[::1]:9/notes", "::1 is a loopback address"),
        case("link-local", "http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local"),
    ],
)
def test_a_non_public_address_is_a_finding_with_the_address(url: str, address: str) -> None:
    """Issue 10 §3: blocked (needs a human) with the address as evidence, never a silent skip."""
    outcome = run([url], allow_private=False)[0][url]
    assert outcome.status is Status.BLOCKED
    assert outcome.evidence[0].rule == "unsafe-address" and address in outcome.evidence[0].detail


def test_a_refused_head_is_asked_again_at_the_name_the_dns_knows(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second asking of a head aiohttp refused looks up an IDN as aiohttp did (xn--...)."""
    resolve_to_loopback(monkeypatch, "xn--bcher-kva.example")
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n"
    install(server, {"/p": raw(head + LENGTH + CHUNKED)})
    url = f"http://bücher.example:{server.port}/p"
    outcome = run([url])[0][url]
    assert outcome.status is Status.OK, outcome.evidence
