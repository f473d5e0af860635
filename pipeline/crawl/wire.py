"""The crawler's connections: an httpx transport whose HTTP/1.1 is aiohttp's client.

    Wire(tls, allow_private) -> httpx.AsyncBaseTransport         (fetch.py's default; tests inject others)

Why not httpx's own (httpcore): it yields to the event loop about eight times a request (anyio locks,
events and checkpoints), and under 40 concurrent streams each of those waits behind the others' work. On
the loopback benchmark an exchange took 3.4 ms longer than the server's answer through httpcore and 1.3 ms
through aiohttp (C parser, one wake-up per read); with the per-host gap and limit equally tight, that is
the whole difference between a run at 1.09x its politeness bound and one at 1.07x. Everything above
(fetch.py: politeness, retries, redirects, cookies, bodies) still speaks httpx, so tests inject httpx
transports (respx, MockTransport) in its place.

What the wire guarantees fetch.py:
- it follows no redirect, keeps no cookie, decodes no content-encoding (body.py does, bounded), and takes
  no proxy or .netrc credential from the environment;
- it connects only to public addresses (unless allow_private): its resolver drops the others, and a name
  with no public address fails with UnsafeAddressError before any connection is made (a literal address
  is checked by fetch.py before it gets here);
- a name lookup (getaddrinfo, which blocks a thread until the system's resolver answers or gives up) runs
  in a pool of the wire's own (LOOKUP_THREADS), not in the event loop's default one (as many as
  the cores plus 4): a few names whose DNS servers never answer held every thread of that pool for their
  resolver's timeouts, and every other host's lookup waited behind them;
- a head aiohttp's parser refuses (a Content-Length beside chunked framing, a space before a colon, more
  than 128 lines) is asked for once more over a connection of its own and read as a browser reads it
  (lenient.py), and its origin is read that way first from then on; what browsers refuse too keeps
  aiohttp's error;
- aiohttp's exceptions reach fetch.py as httpx's (ConnectTimeout, ReadTimeout, ConnectError,
  RemoteProtocolError, ReadError) with the original as their cause, which neterrors.map_error reads. None
  is a TimeoutError: fetch.py's own time budget is the only one.
"""

from __future__ import annotations

import asyncio
import functools
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
from yarl import URL

from pipeline.crawl import safety
from pipeline.crawl.neterrors import UnsafeAddressError


@contextmanager
def _no_default_ca_bundle() -> Iterator[None]:
    """While aiohttp is imported: TLS contexts do not load the system's CA bundle. aiohttp builds two
    contexts as it is imported, for requests that bring none; every request here brings the Fetcher's own
    (certifi's bundle), so loading theirs cost 0.1 s of CPU for nothing, on the path to a run's first
    request (the fetch process imports aiohttp just before its first connection). A context built
    meanwhile to verify certificates trusts none, and so refuses every one: nothing is accepted that
    would not be."""
    own = ssl.SSLContext.__dict__.get("set_default_verify_paths")  # None: _ssl._SSLContext's is used
    ssl.SSLContext.set_default_verify_paths = lambda self: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        if own is None:
            del ssl.SSLContext.set_default_verify_paths
        else:
            ssl.SSLContext.set_default_verify_paths = own  # type: ignore[method-assign]


with _no_default_ca_bundle():
    import aiohttp
    from aiohttp.abc import AbstractResolver, ResolveResult
    from aiohttp.http_exceptions import HttpProcessingError

# Response header lines and fields aiohttp accepts (its default, 8 KB, refuses the large cookies some
# sites send); h11, httpx's parser, allowed 100 KB for the whole head.
MAX_HEADER_LINE = 64 * 1024
# Name lookups at once, each blocking a thread (started only as needed). Each request in flight may be
# looking up its host's name, and a lookup the connect time-out gave up on keeps its thread until the
# system's resolver gives up too (a dead domain's servers: 10-20 s), while the retry looks up again: so
# twice the largest global cap we ship (128), and names whose DNS never answers leave threads for others.
LOOKUP_THREADS = 256


class Wire(httpx.AsyncBaseTransport):
    """An aiohttp session and its keep-alive connections (fetch.py makes one per origin, pools.PoolPerHost),
    with no limit of its own: fetch.py's per-host and global limits bound what is in flight."""

    def __init__(self, tls: ssl.SSLContext, *, allow_private: bool = False) -> None:
        self._tls = tls
        self._allow_private = allow_private
        self._session: aiohttp.ClientSession | None = None
        self._resolver: _PublicOnly | None = None
        # Origins (scheme, host, port) whose heads aiohttp refused and a browser's reading read: asked that
        # way first from then on, so a server that always breaks HTTP/1.1 gets one request per URL, not two.
        self._read_as_browser: set[tuple[bytes, bytes, int | None]] = set()

    def _open(self) -> aiohttp.ClientSession:
        lookups = aiohttp.ThreadedResolver(_Lookups(asyncio.get_running_loop()))  # type: ignore[arg-type]
        self._resolver = resolver = _PublicOnly(lookups, allow_private=self._allow_private)
        connector = aiohttp.TCPConnector(limit=0, ssl=self._tls, resolver=resolver)
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),  # fetch.py keeps cookies, one jar per URL
            auto_decompress=False,
            trust_env=False,
            skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),  # fetch.py's own, or none
            max_line_size=MAX_HEADER_LINE,
            max_field_size=MAX_HEADER_LINE,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._session is None:
            self._session = self._open()
        timeouts = request.extensions.get("timeout", {})
        known = self._read_as_browser and _origin(request.url) in self._read_as_browser
        if known and (read := await self._as_a_browser(request)) is not None:
            return read
        try:
            with _as_httpx(tls=request.url.scheme == "https"):
                answer = await self._session.request(
                    request.method,
                    URL(str(request.url), encoded=True),  # as fetch.py wrote it: not quoted again
                    headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw],
                    data=request.content or None,
                    allow_redirects=False,
                    # connect: the name looked up, connected to and the TLS handshake done (as httpcore's was)
                    timeout=aiohttp.ClientTimeout(
                        total=None,
                        connect=timeouts.get("connect"),
                        sock_connect=timeouts.get("connect"),
                        sock_read=timeouts.get("read"),
                    ),
                )
        except httpx.RemoteProtocolError as refused:
            if not _head_refused(refused) or (read := await self._as_a_browser(request)) is None:
                raise
            self._read_as_browser.add(_origin(request.url))
            return read
        return httpx.Response(
            answer.status,
            headers=list(answer.raw_headers),
            stream=_Body(answer),
            extensions={"reason_phrase": (answer.reason or "").encode("latin-1", "replace")},
        )

    async def _as_a_browser(self, request: httpx.Request) -> httpx.Response | None:
        """aiohttp refused the head of the answer: the request once more, its head read as a browser reads
        it (crawl/lenient.py); None when that fails too, and aiohttp's refusal stands."""
        from pipeline.crawl import lenient  # h11, imported for the rare server that needs it

        url = request.url
        tls = self._tls if url.scheme == "https" else None
        assert self._resolver is not None  # the session asked first
        try:
            host = url.raw_host.decode("ascii")  # an IDN as the DNS knows it (xn--...)
            found = await self._resolver.resolve(host, url.port or (443 if tls else 80), socket.AF_UNSPEC)
            answer = await lenient.exchange(request, [entry["host"] for entry in found], tls)
        except (httpx.HTTPError, OSError, UnsafeAddressError):
            return None
        return answer

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


class _Body(httpx.AsyncByteStream):
    """The response body as it arrives, still encoded; closing it gives the connection back (or drops it
    when the body was not read to its end)."""

    def __init__(self, answer: aiohttp.ClientResponse) -> None:
        self._answer = answer

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx():
            async for chunk in self._answer.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        self._answer.release()


class _Lookups:
    """The running loop as aiohttp's ThreadedResolver uses it, except that its lookups (getaddrinfo, and
    getnameinfo for a link-local address) run in the process's lookup pool, not the loop's default one."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def getaddrinfo(
        self, host: str, port: int, *, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
    ) -> asyncio.Future[list[Any]]:
        # socket.getaddrinfo is read at each call, as the loop's own getaddrinfo reads it (tests patch it).
        lookup = socket.getaddrinfo
        return self._loop.run_in_executor(_lookup_pool(), lookup, host, port, family, type, proto, flags)

    def getnameinfo(self, address: tuple[Any, ...], flags: int = 0) -> asyncio.Future[tuple[str, str]]:
        return self._loop.run_in_executor(_lookup_pool(), socket.getnameinfo, address, flags)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loop, name)  # anything else the resolver may ask of its loop


@functools.cache
def _lookup_pool() -> ThreadPoolExecutor:
    """The process's lookup threads, made at its first lookup (a thread is started when none is idle)."""
    return ThreadPoolExecutor(LOOKUP_THREADS, thread_name_prefix="roadmap-lookup")


class _PublicOnly(AbstractResolver):
    """A resolver that keeps only the public addresses of a name (all of them with allow_private)."""

    def __init__(self, resolver: AbstractResolver, *, allow_private: bool) -> None:
        self._resolver, self._allow_private = resolver, allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._resolver.resolve(host, port, family)
        if self._allow_private:
            return found
        public = [entry for entry in found if not safety.refusal_reason(entry["host"])]
        if not public:
            address = found[0]["host"]
            raise UnsafeAddressError(f"{host} resolves to {address}: {safety.refusal_reason(address)}")
        return public

    async def close(self) -> None:
        await self._resolver.close()


def _origin(url: httpx.URL) -> tuple[bytes, bytes, int | None]:
    return url.raw_scheme, url.raw_host, url.port


def _head_refused(error: httpx.RemoteProtocolError) -> bool:
    """aiohttp's parser refused the head of the answer (not a connection that broke)."""
    refusal = error.__cause__
    return isinstance(refusal, aiohttp.ClientResponseError) and isinstance(
        refusal.__cause__, HttpProcessingError
    )


@contextmanager
def _as_httpx(tls: bool = False) -> Iterator[None]:
    """aiohttp's exceptions as httpx's, the original kept as the cause (neterrors.map_error reads both).
    tls: the connection was to be a TLS one (an https URL)."""
    try:
        yield
    except UnsafeAddressError:
        raise  # the resolver's refusal, as it is
    except aiohttp.ClientConnectorError as error:  # DNS, refused, unreachable, TLS: the OS error is its cause
        if tls and type(error.os_error) is ConnectionResetError and error.os_error.errno is None:
            # asyncio's word for a TLS handshake the server broke off (an HTTP server on an https URL):
            # ssl's own, as httpcore saw it, so that it is a TLS failure and not the network's.
            eof = ssl.SSLEOFError(ssl.SSL_ERROR_EOF, "EOF in the TLS handshake")
            eof.reason = "UNEXPECTED_EOF_WHILE_READING"
            raise httpx.ConnectError("the server closed the connection during the TLS handshake") from eof
        raise httpx.ConnectError(str(error) or type(error).__name__) from error
    except aiohttp.ConnectionTimeoutError as error:
        raise httpx.ConnectTimeout(str(error) or "connect timeout") from error
    except TimeoutError as error:  # every other time-out of aiohttp's (a read): never fetch.py's budget
        raise httpx.ReadTimeout(str(error) or "read timeout") from error
    except (
        aiohttp.ServerDisconnectedError,
        aiohttp.ClientPayloadError,
        aiohttp.ClientResponseError,
    ) as error:
        raise httpx.RemoteProtocolError(str(error) or type(error).__name__) from error
    except aiohttp.InvalidURL as error:
        raise httpx.InvalidURL(str(error)) from error
    except aiohttp.ClientConnectionError as error:  # the connection broke (ClientOSError among them)
        raise httpx.ReadError(str(error) or type(error).__name__) from error
