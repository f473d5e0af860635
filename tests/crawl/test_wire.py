"""The crawler's connections (pipeline.crawl.wire): what it promises fetch.py, on a real loopback server."""

from __future__ import annotations

import asyncio
import gzip
import socket
import ssl
import threading

import aiohttp
import httpx
import pytest
import trustme

from pipeline.crawl.neterrors import UnsafeAddressError
from pipeline.crawl.wire import Wire, _PublicOnly
from tests.crawl.helpers import CHUNKED, LENGTH, ODD_PAGE, TLS_IP
from tests.crawl.server import Handler, LoopbackServer, Request, reply

IP = "127.0.0.2"


def exchange(wire: Wire, *requests: httpx.Request) -> list[tuple[httpx.Response, bytes]]:
    """Send the requests one after the other through the wire; each answer with its raw body."""

    async def main() -> list[tuple[httpx.Response, bytes]]:
        answers = []
        try:
            for request in requests:
                response = await wire.handle_async_request(request)
                body = b"".join([chunk async for chunk in response.aiter_raw()])
                await response.aclose()
                answers.append((response, body))
        finally:
            await wire.aclose()
        return answers

    return asyncio.run(asyncio.wait_for(main(), 20))


def wire(allow_private: bool = True) -> Wire:
    return Wire(ssl.create_default_context(), allow_private=allow_private)


def test_no_cookie_is_kept_and_no_redirect_followed() -> None:
    seen: list[dict[str, str]] = []

    async def remembering(request: Request, writer: asyncio.StreamWriter) -> bool:
        seen.append(request.headers)
        return await reply(302, "", location="/elsewhere", set_cookie="session=abc; Path=/")(request, writer)

    with LoopbackServer(ips=(IP,)) as server:
        server.route("/r", remembering)
        url = server.url("/r")
        answers = exchange(wire(), httpx.Request("GET", url), httpx.Request("GET", url))
        assert server.hits("/elsewhere") == 0
    assert [r.status_code for r, _ in answers] == [302, 302]  # fetch.py follows redirects, hop by hop
    assert "cookie" not in seen[1]  # fetch.py keeps cookies, one jar per URL


def test_a_compressed_body_arrives_as_it_was_sent() -> None:
    page = b"<p>" + b"the same words again " * 200 + b"</p>"
    with LoopbackServer(ips=(IP,)) as server:
        server.route("/z", reply(200, gzip.compress(page), content_encoding="gzip"))
        [(response, body)] = exchange(wire(), httpx.Request("GET", server.url("/z")))
    assert response.headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == page  # body.py decodes, within its limits


def test_a_silent_server_is_a_read_timeout_of_httpx_never_a_timeout_error() -> None:
    """fetch.py reads a TimeoutError as its own URL budget running out: the wire never raises one."""

    async def silent(request: Request, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(3)
        return False

    with LoopbackServer(ips=(IP,)) as server:
        server.route("/silent", silent)
        request = httpx.Request("GET", server.url("/silent"), extensions={"timeout": {"read": 0.2}})
        with pytest.raises(httpx.ReadTimeout) as raised:
            exchange(wire(), request)
    assert not isinstance(raised.value, TimeoutError)


class _Fixed:
    """A resolver that answers the given addresses for any name."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[dict]:
        return [{"hostname": host, "host": a, "port": port, "family": family, "proto": 0, "flags": 0}
                for a in self.addresses]  # fmt: skip

    async def close(self) -> None:
        pass


@pytest.mark.parametrize(
    ("addresses", "allow_private", "kept"),
    [
        pytest.param(("10.0.0.7", "93.184.215.14"), False, ["93.184.215.14"], id="private-one-dropped"),
        pytest.param(("10.0.0.7", "93.184.215.14"), True, ["10.0.0.7", "93.184.215.14"], id="allowed-kept"),
        pytest.param(("8.8.4.4",), False, ["8.8.4.4"], id="public-only"),
    ],
)
def test_a_name_is_connected_to_only_at_its_public_addresses(
    addresses: tuple[str, ...], allow_private: bool, kept: list[str]
) -> None:
    resolver = _PublicOnly(_Fixed(*addresses), allow_private=allow_private)  # type: ignore[arg-type]
    found = asyncio.run(resolver.resolve("mixed.example", 443))
    assert [entry["host"] for entry in found] == kept


def test_a_name_with_no_public_address_is_refused_before_connecting() -> None:
    resolver = _PublicOnly(_Fixed("127.0.0.9", "169.254.169.254"), allow_private=False)  # type: ignore[arg-type]
    with pytest.raises(UnsafeAddressError, match=r"inside\.example resolves to 127\.0\.0\.9: .*loopback"):
        asyncio.run(resolver.resolve("inside.example", 80))


# --- heads aiohttp refuses and browsers open: asked again and read as a browser reads them -------------

CHUNKED_WITH_LENGTH = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\nContent-Length: 7\r\n\r\n"
    + CHUNKED
)


def answering(data: bytes, *, stall: float = 0.0) -> Handler:
    """These bytes (the head alone to a HEAD), then nothing for `stall` seconds, then the close."""

    async def handler(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(data.split(b"\r\n\r\n")[0] + b"\r\n\r\n" if request.method == "HEAD" else data)
        await writer.drain()
        await asyncio.sleep(stall)
        return False

    return handler


def test_an_origin_whose_heads_need_a_browsers_reading_gets_one_request_per_url_after_the_first() -> None:
    with LoopbackServer(ips=(IP,)) as server:
        for path in ("/a", "/b", "/c"):
            server.route(path, answering(CHUNKED_WITH_LENGTH))
        requests = [httpx.Request("GET", server.url(path)) for path in ("/a", "/b", "/c")]
        answers = exchange(wire(), *requests)
        assert [server.hits(path) for path in ("/a", "/b", "/c")] == [2, 1, 1]
    assert [body for _, body in answers] == [ODD_PAGE, ODD_PAGE, ODD_PAGE]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_refused_head_is_asked_again_and_read_as_a_browser_reads_it(method: str) -> None:
    with LoopbackServer(ips=(IP,)) as server:
        server.route("/p", answering(CHUNKED_WITH_LENGTH))
        [(response, body)] = exchange(wire(), httpx.Request(method, server.url("/p")))
        assert server.hits("/p") == 2  # aiohttp's attempt, then the browser's reading
    assert response.status_code == 200 and response.headers["content-type"] == "text/html"
    assert "content-length" not in response.headers  # the chunked framing won
    assert body == (ODD_PAGE if method == "GET" else b"")


def test_a_head_refused_over_tls_is_read_again_over_tls() -> None:
    ca = trustme.CA()
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(TLS_IP).configure_cert(served)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    with LoopbackServer(ips=(TLS_IP,), tls=served) as server:
        server.route("/p", answering(b"HTTP/1.1 200 OK\r\nContent-Type : text/html\r\n\r\n" + ODD_PAGE))
        [(response, body)] = exchange(
            Wire(client, allow_private=True), httpx.Request("GET", server.url("/p"))
        )
    assert response.status_code == 200 and body == ODD_PAGE  # no length: the body ends with the connection


def test_a_head_browsers_refuse_too_keeps_aiohttps_error() -> None:
    two_lengths = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n" + LENGTH + ODD_PAGE
    with LoopbackServer(ips=(IP,)) as server:
        server.route("/p", answering(two_lengths))
        with pytest.raises(httpx.RemoteProtocolError) as raised:
            exchange(wire(), httpx.Request("GET", server.url("/p")))
        assert server.hits("/p") == 2
    assert isinstance(
        raised.value.__cause__, aiohttp.ClientResponseError
    )  # the first refusal is the evidence


def test_a_stalled_body_after_a_refused_head_is_a_read_timeout_never_a_timeout_error() -> None:
    with LoopbackServer(ips=(IP,)) as server:
        server.route("/p", answering(CHUNKED_WITH_LENGTH[: -len(b"0\r\n\r\n")], stall=3))
        request = httpx.Request("GET", server.url("/p"), extensions={"timeout": {"read": 0.2}})
        with pytest.raises(httpx.ReadTimeout) as raised:
            exchange(wire(), request)
    assert not isinstance(raised.value, TimeoutError)


def test_importing_the_wire_loads_no_ca_bundle_for_aiohttp_and_leaves_ssl_as_it_was() -> None:
    """aiohttp's import-time contexts (never used: every request brings the Fetcher's) load no CA bundle;
    a default context made afterwards loads the system's as it would have. A fresh interpreter: this one
    imported aiohttp already."""
    import subprocess
    import sys

    code = (
        "import ssl, sys\n"
        "before = 'set_default_verify_paths' in ssl.SSLContext.__dict__\n"
        "if sys.argv[1] == 'wire':\n"
        "    import pipeline.crawl.wire\n"
        "    from aiohttp.connector import _SSL_CONTEXT_VERIFIED as made\n"
        "    print(made.cert_store_stats()['x509_ca'], made.verify_mode == ssl.CERT_REQUIRED)\n"
        "else:\n"
        "    print('-')\n"
        "print(before, 'set_default_verify_paths' in ssl.SSLContext.__dict__)\n"
        "print(ssl.create_default_context().cert_store_stats()['x509_ca'])\n"
    )
    runs = {
        how: subprocess.run(
            [sys.executable, "-c", code, how], capture_output=True, text=True, timeout=60, check=True
        ).stdout.split("\n")
        for how in ("wire", "plain")
    }
    assert runs["wire"][0] == "0 True"  # trusts nothing: refuses every certificate
    assert runs["wire"][1] == runs["plain"][1] == "False False"  # ssl's own method again
    assert runs["wire"][2] == runs["plain"][2]  # the system's bundle, whole, once the import is done


def test_names_whose_lookups_never_end_leave_threads_for_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    """A name whose DNS servers do not answer holds a thread in getaddrinfo for the system resolver's
    timeouts (10-20 s). Forty of them, more than the event loop's default pool ever has (32 at most, the
    cores plus 4), and a name that resolves is still looked up and fetched while they all hang."""
    release = threading.Event()
    hanging: list[str] = []
    guarded = socket.getaddrinfo  # the tests' own (conftest): loopback names and literals only

    def lookup(host: object, port: object, *args: object, **kwargs: object) -> object:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name.startswith("dead-"):
            hanging.append(name)
            release.wait(30)  # bounded; released when the test is done
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return guarded(IP if name == "alive.test" else host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)

    async def main(port: int) -> tuple[int, int, bool]:
        wires = [wire() for _ in range(41)]
        dead = [
            asyncio.ensure_future(
                w.handle_async_request(httpx.Request("GET", f"http://dead-{i}.test:{port}/"))
            )
            for i, w in enumerate(wires[:40])
        ]
        try:
            while len(hanging) < 40:  # every dead name's lookup has a thread (bounded by wait_for below)
                await asyncio.sleep(0.01)
            answer = await wires[40].handle_async_request(httpx.Request("GET", f"http://alive.test:{port}/p"))
            await answer.aread()
            return answer.status_code, len(hanging), release.is_set()
        finally:
            release.set()
            await asyncio.gather(*dead, return_exceptions=True)  # each fails as its lookup is released
            for w in wires:
                await w.aclose()

    with LoopbackServer(ips=(IP,)) as server:
        server.route("/p", reply(200, "fine"))
        status, hung, released = asyncio.run(asyncio.wait_for(main(server.port), 20))
    assert (status, hung, released) == (200, 40, False)  # fetched while all forty still hung
