"""HTTP for the crawler: one shared AsyncClient, polite limits, retries, redirects followed by us.

    Fetcher.fetch(url) -> facts.Fetched      (never raises for anything the network or server does)

Every httpx/OS exception is turned into a FetchError in `_map_error`, the one place that knows about
httpx's exception tree; nothing above this module catches `httpx.*`.

Politeness: a global limit on requests in flight, a per-host limit, a minimum gap between two request
starts to one host, and a host-wide slow-down when a host answers 429 or sends Retry-After. Safety: a
literal non-public IP is refused before connecting, and the address actually connected to is checked on
every hop (httpx's `trace` extension reports the peer before any byte of the request is sent).
"""

from __future__ import annotations

import asyncio
import datetime
import errno
import importlib.util
import random
import re
import socket
import ssl
import sys
import time
import zlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar
from types import MappingProxyType
from typing import Any
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import httpx

from pipeline.config import Config
from pipeline.crawl import safety
from pipeline.crawl.facts import Failure, Fetched, Response, page_facts
from pipeline.crawl.redirects import REDIRECT_STATUSES, is_redirect_stub
from pipeline.status import Hop

# httpcore runs `import sniffio` on every request; without sniffio installed each failed import walks
# sys.path again (a third of our CPU per request). A None entry makes it fail at once, same outcome.
if importlib.util.find_spec("sniffio") is None:
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

# Paths that name a document rather than a page: a HEAD request tells us all we need about them.
DOCUMENT_SUFFIXES = (
    ".pdf", ".ps", ".djvu", ".epub", ".zip", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".tar", ".mp4", ".webm",
    ".mkv", ".mov", ".avi", ".mp3", ".ogg", ".wav", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".csv",
    ".ipynb", ".pptx", ".ppt", ".docx", ".doc", ".xlsx", ".xls", ".parquet", ".npz", ".h5",
)  # fmt: skip
TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
# A <meta http-equiv=refresh> sooner than this is a redirect (what browsers, search engines and
# parked-domain networks use it for); a later one is a page to read that moves on, or reloads itself.
META_REFRESH_MAX_S = 5.0
NON_HTML_PREFIX = 8 * 1024  # bytes read of a non-HTML body: enough to sniff it and see it is not empty
# An HTML page longer than the body limit is read on, up to this size, for its id/name values only, when
# a link points at a #fragment: long documents put their sections far down.
ANCHOR_SCAN_LIMIT = 16 * 1024 * 1024


class FetchError(Exception):
    """A fetch failed below HTTP (or we refused to make it); `kind` is the Outcome's error_class."""

    def __init__(self, kind: str, detail: str, *, network: bool = False, transient: bool = False) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        self.network = network
        self.transient = transient

    def failure(self) -> Failure:
        return Failure(self.kind, self.detail, network=self.network)


class UnsafeAddressError(Exception):
    """Raised inside the connection trace when the peer is not a public address."""


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes and contexts, and the members of any exception group among them."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        stack.extend(e for e in (item.__cause__, item.__context__) if e is not None)
        if isinstance(item, BaseExceptionGroup):
            stack.extend(item.exceptions)


_DNS_FINAL = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5), socket.EAI_FAIL}
_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN}


def _map_error(exc: BaseException) -> FetchError:
    """The one place that turns library and OS exceptions into our error classes."""
    causes = list(_chain(exc))
    text = str(exc) or type(exc).__name__
    for cause in causes:
        if isinstance(cause, UnsafeAddressError):
            return FetchError("unsafe_address", str(cause))
    if isinstance(exc, httpx.ConnectTimeout):
        return FetchError("connect_timeout", "no connection in time", network=True, transient=True)
    if isinstance(exc, httpx.TimeoutException):
        return FetchError("read_timeout", "the server stopped sending", transient=True)
    if isinstance(exc, httpx.UnsupportedProtocol):
        return FetchError("unsupported_scheme", text)
    if isinstance(exc, httpx.InvalidURL | httpx.LocalProtocolError):
        return FetchError("invalid_url", text)
    for cause in causes:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return FetchError("tls", cause.verify_message or str(cause))
        if isinstance(cause, ssl.SSLError):
            return FetchError("tls", cause.reason or str(cause))
        if isinstance(cause, socket.gaierror):
            if cause.errno in _DNS_FINAL:
                return FetchError("dns", f"name not found ({cause.strerror})", network=True)
            return FetchError(
                "dns_temporary", f"name lookup failed ({cause.strerror})", network=True, transient=True
            )
    for cause in causes:
        if isinstance(cause, ConnectionRefusedError):
            return FetchError("connect", "connection refused", network=True, transient=True)
        if isinstance(cause, OSError) and cause.errno in _UNREACHABLE:
            return FetchError("unreachable", cause.strerror or str(cause), network=True, transient=True)
    if isinstance(exc, httpx.ConnectError):
        return FetchError("connect", text, network=True, transient=True)
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return FetchError("protocol", text, transient=True)
    if isinstance(exc, httpx.HTTPError | OSError):
        return FetchError("protocol", f"{type(exc).__name__}: {text}", transient=True)
    raise exc  # a bug of ours, not something the network did


# ---------------------------------------------------------------------------------------------------
# Bounded body reading (we decompress ourselves so a compression bomb costs at most `limit` bytes).


class _Decoder:
    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._z: Any = None
        if encoding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._z = zlib.decompressobj()  # zlib-wrapped; raw deflate is tried on the first error
        elif encoding not in ("", "identity"):
            raise ValueError(encoding)
        self._first = True
        self._rest = b""

    def feed(self, data: bytes, room: int) -> bytes:
        """At most `room` decoded bytes of data (what does not fit waits in unconsumed())."""
        if self._z is None:
            self._rest = data[room:]
            return data[:room]
        try:
            out = self._z.decompress(data, room)
        except zlib.error:
            if not (self._first and self.encoding == "deflate"):
                raise
            self._z = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._z.decompress(data, room)
        self._first = False
        return out

    def unconsumed(self) -> bytes:
        """Input the last feed() had no room for."""
        return self._rest if self._z is None else self._z.unconsumed_tail

    def feed_all(self, data: bytes, piece: int = 256 * 1024) -> Iterator[bytes]:
        """All of data decoded, in pieces of at most `piece` bytes (a bomb never sits in memory whole)."""
        if self._z is None:
            if data:
                yield data
            return
        while data:
            out = self._z.decompress(data, piece)
            self._first = False
            if out:
                yield out
            data = self._z.unconsumed_tail


class SlowBodyError(Exception):
    """The body arrives more slowly than the minimum rate: a trickle that would hold the run."""


@dataclass
class _Pace:
    """The minimum rate a body must keep, counted from its first byte, after a grace period.

    Checked as each chunk arrives; the read timeout bounds the wait for a chunk, so a trickle ends
    within grace + read timeout (5 + 15 s by default), never holding the run for the whole URL budget.
    """

    clock: Clock
    min_bytes_s: float
    grace_s: float
    first: float | None = None
    received: int = 0

    def note(self, size: int) -> None:
        now = self.clock()
        if self.first is None:
            self.first = now
        self.received += size
        elapsed = now - self.first
        if self.min_bytes_s > 0 and elapsed >= self.grace_s and self.received < self.min_bytes_s * elapsed:
            raise SlowBodyError(
                f"{self.received} bytes in {elapsed:.0f} s, under the minimum of "
                f"{self.min_bytes_s / 1024:g} KB/s"
            )


# id="x", name='y', id=z: what a fragment can point at, found without parsing (bytes, any case).
_ANCHOR_ATTRIBUTE = re.compile(
    rb"""[\s"'](?:id|name)\s*=\s*(?:"([^"<>]*)"|'([^'<>]*)'|([^\s"'<>=`]+))""", re.IGNORECASE
)
_TAG_TAIL_MAX = 64 * 1024  # a tag longer than this is not looked into


class _AnchorScanner:
    """Collects id/name values from HTML streamed past the body prefix, a tag boundary at a time."""

    def __init__(self) -> None:
        self.anchors: set[str] = set()
        self._tail = b""

    def feed(self, data: bytes) -> None:
        data = self._tail + data
        cut = data.rfind(b">") + 1  # scan whole tags; keep the open one for the next piece
        self._scan(data[:cut])
        self._tail = data[cut:][-_TAG_TAIL_MAX:]

    def close(self) -> frozenset[str]:
        self._scan(self._tail)
        return frozenset(self.anchors)

    def _scan(self, data: bytes) -> None:
        for match in _ANCHOR_ATTRIBUTE.finditer(data):
            value = next(group for group in match.groups() if group is not None)
            if value:
                self.anchors.add(value.decode("utf-8", "replace"))


@dataclass(frozen=True)
class _Body:
    data: bytes | None  # at most `limit` decoded bytes; None when the coding is unknown/bad
    truncated: bool = False  # there was more than `limit`
    more_anchors: frozenset[str] | None = None  # id/name values after the prefix, scanned to the end


async def _read_body(response: httpx.Response, limit: int, pace: _Pace, scan_limit: int = 0) -> _Body:
    """The first `limit` decoded bytes; with scan_limit, the id/name values of the rest up to that size."""
    encodings = [
        e.strip().lower() for e in response.headers.get("content-encoding", "").split(",") if e.strip()
    ]
    try:
        decoder = _Decoder(encodings[0] if len(encodings) == 1 else ("" if not encodings else "unsupported"))
    except ValueError:
        return _Body(None)
    body = bytearray()
    scanner: _AnchorScanner | None = None
    decoded = 0
    try:
        async for chunk in response.aiter_raw():
            pace.note(len(chunk))
            if scanner is None:
                body += decoder.feed(chunk, limit - len(body) + 1)
                if len(body) <= limit:
                    continue
                if scan_limit <= limit:
                    return _Body(bytes(body[:limit]), True)
                # Past the prefix: go on reading, keeping only the anchors (from the last tag start on).
                scanner = _AnchorScanner()
                scanner.feed(bytes(body[max(0, body.rfind(b"<", 0, limit)) :]))
                decoded = len(body)
                del body[limit:]
                chunk = decoder.unconsumed()
            for piece in decoder.feed_all(chunk):
                decoded += len(piece)
                scanner.feed(piece)
                if decoded > scan_limit:
                    return _Body(bytes(body), True)  # longer than we scan: anchors beyond it unknown
    except zlib.error:
        return _Body(None)
    except (httpx.RemoteProtocolError, httpx.ReadError):
        if not body:
            raise
        # The connection broke off mid-body: a browser shows what arrived, and so do we judge it.
        return _Body(bytes(body[:limit]), True)
    except httpx.StreamConsumed:  # an in-memory response (mock transports) arrives already read
        data = response.content
        return _Body(data[:limit], len(data) > limit)
    if scanner is not None:
        for piece in decoder.feed_all(b""):
            scanner.feed(piece)
        return _Body(bytes(body), True, scanner.close())
    return _Body(bytes(body), False)


# ---------------------------------------------------------------------------------------------------
# Politeness per host.


class _PoolPerHost(httpx.AsyncBaseTransport):
    """A connection pool per origin instead of one shared pool.

    httpcore looks at every connection of a pool (a readability check on each idle socket) whenever a
    request starts or ends; with one pool for the whole run that is 40-130 sockets per request, a large
    share of our CPU. A host's own pool holds at most its per-host limit of connections. Pools with
    nothing in flight are closed, least recently used first, once more than `keep` are open, so finished
    hosts do not hold sockets open until the end of the run.
    """

    def __init__(self, make: Callable[[], httpx.AsyncBaseTransport], keep: int) -> None:
        self._make = make
        self._keep = keep
        self._pools: dict[tuple[bytes, bytes, int | None], httpx.AsyncBaseTransport] = {}  # LRU order
        self._busy: Counter[tuple[bytes, bytes, int | None]] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        key = (url.raw_scheme, url.raw_host, url.port)
        pool = self._pools.pop(key, None)
        if pool is None:
            pool = self._make()
            await self._close_idle()
        self._pools[key] = pool  # most recently used last
        self._busy[key] += 1
        try:
            response = await pool.handle_async_request(request)
        except BaseException:
            self._done(key)
            raise
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        response.stream = _Released(stream, lambda: self._done(key))
        return response

    def _done(self, key: tuple[bytes, bytes, int | None]) -> None:
        self._busy[key] -= 1
        if not self._busy[key]:
            del self._busy[key]

    async def _close_idle(self) -> None:
        for key in [k for k in self._pools if k not in self._busy][: max(0, len(self._pools) - self._keep)]:
            await self._pools.pop(key).aclose()

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.aclose()


class _Released(httpx.AsyncByteStream):
    """A response stream that tells its pool when it is closed (the exchange is over)."""

    def __init__(self, stream: httpx.AsyncByteStream, on_close: Callable[[], None]) -> None:
        self._stream = stream
        self._on_close: Callable[[], None] | None = on_close

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            if self._on_close is not None:
                self._on_close, on_close = None, self._on_close
                on_close()


@dataclass
class HostState:
    """Limits of one host: slots in flight, the gap between starts, and any slow-down in force."""

    slots: asyncio.Semaphore
    delay_s: float
    next_start: float = 0.0
    slowdowns: int = 0  # how often the host told us to slow down (429 / Retry-After)
    in_flight: int = 0
    peak_in_flight: int = 0
    unreachable: str | None = None  # a network failure that outlived every retry: don't retry it again


@dataclass
class _Budget:
    """Time one URL may use, counting requests and back-off waits but not queueing behind others."""

    limit_s: float
    spent_s: float = 0.0

    @property
    def remaining(self) -> float:
        return self.limit_s - self.spent_s


@dataclass
class Fetcher:
    """One per run: owns the shared AsyncClient and the per-host state. Use as an async context manager."""

    config: Config
    transport: httpx.AsyncBaseTransport | None = None
    allow_private: bool = False
    sleep: Sleep = asyncio.sleep
    clock: Clock = time.monotonic
    rng: Callable[[], float] = random.random
    hosts: dict[str, HostState] = field(default_factory=dict)
    requests_made: int = 0
    _client: httpx.AsyncClient | None = None
    _global: asyncio.Semaphore | None = None

    async def __aenter__(self) -> Fetcher:
        check = self.config.check
        self._global = asyncio.Semaphore(check.concurrency)
        transport = self.transport
        if transport is None:
            tls = httpx.create_ssl_context(trust_env=False)  # one context (CA bundle) for every pool
            # The per-host semaphores bound what is in flight; the pool only needs room for any per_host.
            per_pool = httpx.Limits(max_connections=64, max_keepalive_connections=32)
            transport = _PoolPerHost(
                lambda: httpx.AsyncHTTPTransport(verify=tls, trust_env=False, limits=per_pool),
                keep=check.concurrency,
            )
        self._client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,  # we follow hop by hop, recording and checking each one
            trust_env=False,  # no proxies or .netrc credentials from the environment
            cookies=httpx.Cookies(_NoCookies()),  # nothing persists between URLs or hosts
            timeout=httpx.Timeout(
                connect=check.connect_timeout_s,
                read=check.read_timeout_s,
                write=check.read_timeout_s,
                pool=check.connect_timeout_s,
            ),
            limits=httpx.Limits(
                max_connections=check.concurrency + 8, max_keepalive_connections=check.concurrency
            ),
            headers={
                "User-Agent": check.user_agent,
                "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                "Accept-Language": "en;q=1.0, *;q=0.5",
                "Accept-Encoding": "gzip, deflate",
            },
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()

    # --- per host ------------------------------------------------------------------------------------

    def host_state(self, host: str) -> HostState:
        state = self.hosts.get(host)
        if state is None:
            limits = self.config.host_limits(host)
            state = self.hosts[host] = HostState(asyncio.Semaphore(limits.per_host), limits.gap_s)
        return state

    def _slow_down(self, state: HostState, wait_s: float) -> None:
        """The whole host waits, and keeps a wider gap between requests for the rest of the run."""
        state.slowdowns += 1
        state.delay_s = min(max(state.delay_s * 2, 1.0), 30.0)
        state.next_start = max(state.next_start, self.clock() + wait_s)

    async def _take_turn(self, state: HostState) -> None:
        """Reserve the next start time for this host and wait for it (called holding a host slot)."""
        now = self.clock()
        start = max(now, state.next_start)
        state.next_start = start + state.delay_s
        if start > now:
            await self.sleep(start - now)

    # --- one request ---------------------------------------------------------------------------------

    async def _trace(self, name: str, info: dict[str, Any]) -> None:
        if name != "connection.connect_tcp.complete" or self.allow_private:
            return
        stream = info.get("return_value")
        peer = stream.get_extra_info("server_addr") if stream is not None else None
        address = str(peer[0]) if isinstance(peer, tuple) and peer else None
        reason = safety.refusal_reason(address) if address else "the peer address is unknown"
        if reason:
            if stream is not None:
                await stream.aclose()
            raise UnsafeAddressError(f"connected to {address}: {reason}" if address else reason)

    async def _send(
        self, method: str, url: str, jar: httpx.Cookies, body_limit: int, budget: _Budget, anchors: bool
    ) -> Response:
        """One HTTP exchange, holding a host slot and a global slot for exactly its duration."""
        assert self._client is not None and self._global is not None
        host = (urlsplit(url).hostname or "").lower()
        literal = safety.parse_ip(host)
        if literal is not None and not self.allow_private and (reason := safety.refusal_reason(literal)):
            raise FetchError("unsafe_address", reason)
        state = self.host_state(host)
        async with state.slots:
            await self._take_turn(state)
            async with self._global:
                if budget.remaining <= 0:
                    raise FetchError("url_timeout", f"more than {budget.limit_s:g} s")
                state.in_flight += 1
                state.peak_in_flight = max(state.peak_in_flight, state.in_flight)
                self.requests_made += 1
                started = self.clock()
                try:
                    async with asyncio.timeout(budget.remaining):
                        return await self._exchange(method, url, jar, body_limit, anchors)
                except TimeoutError:
                    raise FetchError("url_timeout", f"more than {budget.limit_s:g} s in total") from None
                except SlowBodyError as slow:
                    # Not retried: a server that trickles once trickles again, and each try costs seconds.
                    raise FetchError("slow_body", str(slow)) from None
                except FetchError:
                    raise
                except Exception as exc:
                    raise _map_error(exc) from exc
                finally:
                    state.in_flight -= 1
                    budget.spent_s += max(0.0, self.clock() - started)

    async def _exchange(
        self, method: str, url: str, jar: httpx.Cookies, body_limit: int, anchors: bool
    ) -> Response:
        assert self._client is not None
        request = self._client.build_request(method, url, extensions={"trace": self._trace})
        if jar:  # cookie jars are slow; most URLs never set one
            jar.set_cookie_header(request)
        response = await self._client.send(request, stream=True)
        try:
            if "set-cookie" in response.headers:
                jar.extract_cookies(response)
            body = _Body(None)
            if method == "GET" and response.status_code not in REDIRECT_STATUSES:
                kind = response.headers.get("content-type", "").lower()
                page = "html" in kind or not kind or "text/plain" in kind
                check = self.config.check
                pace = _Pace(self.clock, check.min_body_kb_s * 1024, check.body_grace_s)
                scan = ANCHOR_SCAN_LIMIT if anchors and page and "text/plain" not in kind else 0
                body = await _read_body(
                    response, body_limit if page else min(NON_HTML_PREFIX, body_limit), pace, scan
                )
            return Response(
                url=url,
                status=response.status_code,
                headers=MappingProxyType({k.lower(): v for k, v in response.headers.items()}),
                body=body.data,
                truncated=body.truncated,
                method=method,
                more_anchors=body.more_anchors,
            )
        finally:
            await response.aclose()

    # --- retries -------------------------------------------------------------------------------------

    def _backoff(self, attempt: int) -> float:
        return self.config.check.backoff_base_s * (2**attempt) * (0.5 + self.rng())

    def _retry_after(self, response: Response) -> float | None:
        value = response.header("retry-after").strip()
        if not value:
            return None
        try:
            return max(0.0, float(value))  # seconds (some servers send "1.5")
        except ValueError:
            pass
        moment = _http_date(value)
        if moment is None:
            return None
        # Against the server's own Date when it sends one: a skewed clock on either side cancels out.
        now = _http_date(response.header("date"))
        return max(0.0, moment - (now if now is not None else time.time()))

    async def _request(
        self,
        method: str,
        url: str,
        jar: httpx.Cookies,
        budget: _Budget,
        *,
        retries: int | None = None,
        anchors: bool = False,
    ) -> Response:
        """One exchange with retries for transient failures; final answers (404, NXDOMAIN) at once."""
        check = self.config.check
        limit = check.max_body_kb * 1024
        retries = check.retries if retries is None else retries
        host = self.host_state((urlsplit(url).hostname or "").lower())
        if host.unreachable is not None:
            # One more try per URL, no back-off: a host that stayed unreachable through a full round of
            # retries would otherwise cost every one of its URLs the same round.
            retries = 0
        for attempt in range(retries + 1):
            last = attempt == retries
            try:
                response = await self._send(method, url, jar, limit, budget, anchors)
            except FetchError as error:
                give_up = last or host.unreachable is not None  # another URL already saw it stay down
                if error.network and error.transient and give_up:
                    host.unreachable = error.kind
                if not error.transient or give_up:
                    raise
                wait = self._backoff(attempt)
                if wait >= budget.remaining:
                    raise
                await self._pause(wait, budget)
                continue
            host.unreachable = None
            if response.status not in TRANSIENT_STATUSES or last:
                return response
            retry_after = self._retry_after(response)
            if response.status == 429 or retry_after is not None:
                if retry_after is not None and retry_after > check.retry_after_cap_s:
                    self._slow_down(host, check.retry_after_cap_s)
                    return response  # told to come back much later: that is the answer for this run
                self._slow_down(host, retry_after or self._backoff(attempt))
            wait = retry_after if retry_after is not None else self._backoff(attempt)
            if wait >= budget.remaining:
                return response
            await self._pause(wait, budget)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _pause(self, seconds: float, budget: _Budget) -> None:
        budget.spent_s += seconds
        await self.sleep(seconds)

    # --- one URL ---------------------------------------------------------------------------------------

    async def fetch(self, url: str, *, anchors: bool = False) -> Fetched:
        """Follow url hop by hop (HEAD where enough, GET where the page must be read); never raises.

        anchors: a link points at a #fragment of this page, so a long HTML page is scanned past the body
        limit for its id/name values (Response.more_anchors)."""
        started = self.clock()
        url = urlunsplit(urlsplit(url)._replace(fragment=""))
        hops: list[Hop] = []
        budget = _Budget(self.config.check.url_timeout_s)
        jars: dict[str, httpx.Cookies] = {}  # per host, for this URL only (cookie-setting redirects)

        def done(response: Response | None = None, failure: Failure | None = None) -> Fetched:
            elapsed = int((self.clock() - started) * 1000)
            return Fetched(url=url, hops=tuple(hops), response=response, failure=failure, elapsed_ms=elapsed)

        method = "HEAD" if urlsplit(url).path.lower().endswith(DOCUMENT_SUFFIXES) else "GET"
        current = url
        seen: set[tuple[str, str]] = set()
        while True:
            parts = urlsplit(current)
            if parts.scheme not in ("http", "https"):
                return done(
                    failure=Failure("unsupported_scheme", f"{parts.scheme or 'no'} scheme in {current}")
                )
            host = (parts.hostname or "").lower()
            if not host:
                return done(failure=Failure("invalid_url", f"no host in {current}"))
            rule = self.config.domain_rule(host)
            if rule is not None and rule.skip:
                return done(failure=Failure("domain_skip", f"{host}: {rule.skip}"))
            jar = jars.setdefault(host, httpx.Cookies())
            key = (current, repr(sorted(jar.items())))
            if key in seen:
                chain = " -> ".join([h.url for h in hops] + [current])
                return done(failure=Failure("redirect_loop", chain))
            seen.add(key)
            try:
                # HEAD is a shortcut, not worth retrying: a server that fumbles it gets a GET instead.
                response = await self._request(
                    method, current, jar, budget, retries=0 if method == "HEAD" else None, anchors=anchors
                )
            except FetchError as error:
                if method == "HEAD" and error.transient and not error.network and budget.remaining > 0:
                    method = "GET"  # HEAD hung or broke the protocol: many servers only do GET right
                    seen.discard(key)
                    continue
                return done(failure=error.failure())
            status = response.status
            if method == "HEAD" and status not in REDIRECT_STATUSES:
                is_page = "html" in response.content_type or not response.content_type
                if (status >= 400 and status != 429) or (200 <= status < 300 and is_page):
                    # HEAD refused or answered oddly, or the page must be read: ask again with GET.
                    method = "GET"
                    seen.discard(key)
                    continue
            location = response.header("location").strip()
            if status in REDIRECT_STATUSES and location:
                try:
                    target = _escaped(urljoin(current, location))
                    urlsplit(target).port  # noqa: B018 - validates the port
                except ValueError:
                    return done(failure=Failure("invalid_url", f"bad Location {location!r} from {current}"))
                hops.append(Hop(url=current, status=status, location=target))
                if len(hops) > self.config.check.max_redirects:
                    return done(failure=Failure("too_many_redirects", f"more than {len(hops) - 1} redirects"))
                current = urlunsplit(urlsplit(target)._replace(fragment=""))
                continue
            if method == "GET" and 200 <= status < 300 and (target := _refresh_target(current, response)):
                # A meta refresh is a redirect hop like any other: same limit, loop and safety checks.
                hops.append(Hop(url=current, status=status, location=target, stub=_is_stub(response, target)))
                if len(hops) > self.config.check.max_redirects:
                    return done(failure=Failure("too_many_redirects", f"more than {len(hops) - 1} redirects"))
                current = target
                continue
            return done(response=response)


_URL_SAFE = "/%:@!$&'()*+,;=~-._?[]"


def _escaped(url: str) -> str:
    """A redirect target as a browser would request it (and a catalogue could hold it): spaces and
    non-ASCII characters in path, query and fragment percent-encoded as UTF-8, existing escapes kept."""
    parts = urlsplit(url)
    return urlunsplit(
        parts._replace(
            path=quote(parts.path, safe=_URL_SAFE),
            query=quote(parts.query, safe=_URL_SAFE),
            fragment=quote(parts.fragment, safe=_URL_SAFE + "#"),
        )
    )


def _refresh_target(current: str, response: Response) -> str | None:
    """Where a page's prompt <meta http-equiv=refresh> sends the browser, if it sends it elsewhere."""
    if not response.body or not response.is_html:
        return None
    _, facts = page_facts(response.body, response.header("content-type"))
    if facts.meta_refresh is None:
        return None
    delay, location = facts.meta_refresh
    if delay > META_REFRESH_MAX_S and facts.text_length > 0:
        return None  # a page to read first; with nothing to read, the wait changes nothing

    try:
        target = urlunsplit(urlsplit(_escaped(urljoin(current, location)))._replace(fragment=""))
    except ValueError:
        return None  # an unusable target: judge the page itself
    if urlsplit(target).scheme not in ("http", "https") or target == current:
        return None  # a reload, or somewhere we do not go (javascript:, data:)
    return target


def _is_stub(response: Response, target: str) -> bool:
    """The page that sent us on is a redirect stub: a permanent move (redirects.is_redirect_stub)."""
    assert response.body is not None
    _, facts = page_facts(response.body, response.header("content-type"))
    return is_redirect_stub(facts, response.url, target)


def _http_date(value: str) -> float | None:
    """Seconds since the epoch of an HTTP-date (naive dates are UTC), or None when unreadable."""
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


class _NoCookies(CookieJar):
    """The client-wide jar: accepts nothing, so no cookie ever travels between URLs or hosts."""

    def set_cookie(self, cookie: Any) -> None:
        return None

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None
