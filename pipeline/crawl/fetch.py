"""HTTP for the crawler: one transport (a pool per origin), polite limits, retries, redirects followed by us.

    Fetcher.fetch(url) -> facts.Fetched      (never raises for anything the network or server does)

Every httpx/OS exception is turned into a FetchError by `neterrors.map_error`, the one place that knows
about httpx's exception tree; nothing above this module catches `httpx.*`. Its helpers, one job each:
`body` (bounded reading, pace, anchors past the prefix), `retry` (transient answers, back-off,
Retry-After), `pools` (a connection pool per origin), `wire` (the connections: aiohttp's HTTP/1.1 behind
an httpx transport; `lenient` reads again a head aiohttp refuses and browsers open), `location`
(Location and refresh targets: the Refresh header and the meta tag).

Politeness: a global limit on requests in flight, a per-host limit, a minimum gap between two request
starts to one host, and a host-wide slow-down when a host answers 429 or sends Retry-After. Safety: a
literal non-public IP is refused before connecting, and a name is connected to only at its public
addresses, on every hop (the wire's resolver; one with none fails before any connection is made).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from pipeline.config import Config
from pipeline.crawl import safety
from pipeline.crawl.body import Body, Pace, SlowBodyError, read_body
from pipeline.crawl.facts import Failure, Fetched, Response
from pipeline.crawl.location import escaped, is_stub, refresh_target
from pipeline.crawl.neterrors import FetchError, map_error
from pipeline.crawl.pools import PoolPerHost
from pipeline.crawl.redirects import REDIRECT_STATUSES
from pipeline.crawl.retry import TRANSIENT_STATUSES, backoff, retry_after_s
from pipeline.status import Hop

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

# Paths that name a document rather than a page: a HEAD request tells us all we need about them.
DOCUMENT_SUFFIXES = (
    ".pdf", ".ps", ".djvu", ".epub", ".zip", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".tar", ".mp4", ".webm",
    ".mkv", ".mov", ".avi", ".mp3", ".ogg", ".wav", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".csv",
    ".ipynb", ".pptx", ".ppt", ".docx", ".doc", ".xlsx", ".xls", ".parquet", ".npz", ".h5",
)  # fmt: skip
NON_HTML_PREFIX = 8 * 1024  # bytes read of a non-HTML body: enough to sniff it and see it is not empty
# An HTML page longer than the body limit is read on, up to this size, for its id/name values only, when
# a link points at a #fragment: long documents put their sections far down.
ANCHOR_SCAN_LIMIT = 16 * 1024 * 1024


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


NOMINAL_EXCHANGE_S = 0.1  # an exchange's duration until one was timed
EXCHANGE_MEAN_OF = 50  # exchanges the running estimate of their duration follows
# Worker tasks per global slot at most (runner._Hosts): hosts whose gap is up to 8x an exchange still
# fill the cap (the defaults, 250 ms against ~100 ms, need 5). Each may hold a connection open.
WORKERS_PER_SLOT = 8
FILES_SPARED = 256  # open files left for everything but connections: the store, the catalogue, logs


def default_tls() -> ssl.SSLContext:
    """The TLS context of a fetcher's connections: certifi's bundle, as httpx's, and no SSL_CERT_FILE or
    SSL_CERT_DIR from the environment (50 ms to build on a slow core)."""
    return httpx.create_ssl_context(trust_env=False)


@dataclass
class Fetcher:
    """One per run: owns the transport and the per-host state. Use as an async context manager."""

    # Requests the crawl asks of it for each one a host may have in flight (runner._Hosts): 1, as each is
    # sent at once; a fetch process's RemoteFetcher holds a spare one to send the moment the host allows.
    depth: ClassVar[int] = 1

    config: Config
    transport: httpx.AsyncBaseTransport | None = None  # tests; by default the Wire (aiohttp)
    tls: ssl.SSLContext | None = None  # tests (their own CA); by default certifi's bundle, as httpx's
    allow_private: bool = False
    sleep: Sleep = asyncio.sleep
    clock: Clock = time.monotonic
    rng: Callable[[], float] = random.random
    hosts: dict[str, HostState] = field(default_factory=dict)
    requests_made: int = 0
    # Running mean of an exchange's duration (the last EXCHANGE_MEAN_OF): how long a request holds its
    # global slot, which tells the scheduler how many hosts waiting out their gaps fit under the cap.
    exchange_s: float = NOMINAL_EXCHANGE_S
    _exchanges: int = 0
    # Worker tasks the scheduler may run (runner._Hosts): WORKERS_PER_SLOT x concurrency, or fewer when
    # the open-files limit cannot hold a connection for each of them and their hosts' idle ones.
    workers_allowed: int = field(init=False)
    _wire: httpx.AsyncBaseTransport | None = None  # every request goes straight to it
    _headers: httpx.Headers | None = None
    _timeouts: dict[str, float] = field(default_factory=dict)
    _global: asyncio.Semaphore | None = None

    def __post_init__(self) -> None:
        self.workers_allowed = WORKERS_PER_SLOT * self.config.check.concurrency

    async def __aenter__(self) -> Fetcher:
        check = self.config.check
        self._global = asyncio.Semaphore(check.concurrency)
        transport = self.transport
        if transport is None:
            # Imported here: aiohttp is a quarter of a check's imports, and a run whose fetch process
            # fetches (pipeline.crawl.fetchprocess) never opens a connection of its own.
            from pipeline.crawl.wire import Wire

            tls = self.tls or default_tls()  # one context for every pool
            # A connection for each worker, and as many idle ones in the pools kept for their hosts.
            connections = _allow_open_files(2 * WORKERS_PER_SLOT * check.concurrency + FILES_SPARED)
            connections = max(4 * check.per_host, connections - FILES_SPARED)
            self.workers_allowed = min(self.workers_allowed, connections // 2)
            transport = PoolPerHost(
                lambda: Wire(tls, allow_private=self.allow_private),
                keep=max(1, connections // (2 * check.per_host)),
            )
        self._wire = transport
        # No httpx.AsyncClient in between: its send() adds auth, redirect and cookie handling, all of which
        # we do (or refuse) ourselves, and its request merging; without them a request costs a sixth less.
        # Redirects are followed hop by hop here, recording and checking each one; no proxy or .netrc
        # credential comes from the environment (trust_env=False on each pool); cookies live in a jar per
        # URL, so none travels between URLs or hosts.
        self._timeouts = httpx.Timeout(
            connect=check.connect_timeout_s,
            read=check.read_timeout_s,
            write=check.read_timeout_s,
            pool=check.connect_timeout_s,
        ).as_dict()
        self._headers = httpx.Headers(
            {
                "User-Agent": check.user_agent,
                "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                "Accept-Language": "en;q=1.0, *;q=0.5",
                "Accept-Encoding": "gzip, deflate",
            }
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._wire is not None:
            await self._wire.aclose()

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

    async def _send(
        self, method: str, url: str, jar: httpx.Cookies, body_limit: int, budget: _Budget, anchors: bool
    ) -> Response:
        """One HTTP exchange, holding a host slot and a global slot for exactly its duration."""
        assert self._wire is not None and self._global is not None
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
                    raise map_error(exc) from exc
                finally:
                    state.in_flight -= 1
                    took = max(0.0, self.clock() - started)
                    budget.spent_s += took
                    self._exchanges = min(self._exchanges + 1, EXCHANGE_MEAN_OF)
                    self.exchange_s += (took - self.exchange_s) / self._exchanges

    async def _exchange(
        self, method: str, url: str, jar: httpx.Cookies, body_limit: int, anchors: bool
    ) -> Response:
        assert self._wire is not None
        extensions = {"timeout": self._timeouts}
        request = httpx.Request(method, url, headers=self._headers, extensions=extensions)
        if jar:  # cookie jars are slow; most URLs never set one
            jar.set_cookie_header(request)
        check = self.config.check
        # A head that trickles in (a header line now and then) resets the read timeout at every line: it must
        # be whole within the read timeout and the body's grace (20 s by default, connecting included), or it
        # would hold the URL for its whole budget. A slow first byte within the read timeout still makes it.
        head_s = check.read_timeout_s + check.body_grace_s
        try:
            async with asyncio.timeout(head_s):
                response = await self._wire.handle_async_request(request)
        except TimeoutError:
            raise SlowBodyError(f"the response head was not whole {head_s:g} s after the request") from None
        response.request = request
        try:
            if "set-cookie" in response.headers:
                jar.extract_cookies(response)
            body = Body(None)
            if method == "GET" and response.status_code not in REDIRECT_STATUSES:
                kind = response.headers.get("content-type", "").lower()
                page = "html" in kind or not kind or "text/plain" in kind
                pace = Pace(self.clock, check.min_body_kb_s * 1024, check.body_grace_s)
                scan = ANCHOR_SCAN_LIMIT if anchors and page and "text/plain" not in kind else 0
                body = await read_body(
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
        return backoff(self.config.check.backoff_base_s, attempt, self.rng())

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
            retry_after = retry_after_s(response)
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
                    target = escaped(urljoin(current, location))
                    urlsplit(target).port  # noqa: B018 - validates the port
                except ValueError:
                    return done(failure=Failure("invalid_url", f"bad Location {location!r} from {current}"))
                hops.append(Hop(url=current, status=status, location=target))
                if len(hops) > self.config.check.max_redirects:
                    return done(failure=Failure("too_many_redirects", f"more than {len(hops) - 1} redirects"))
                current = urlunsplit(urlsplit(target)._replace(fragment=""))
                continue
            if method == "GET" and 200 <= status < 300 and (target := refresh_target(current, response)):
                # A refresh (header or meta tag) is a hop like any other: same limit, loop and safety checks.
                hops.append(Hop(url=current, status=status, location=target, stub=is_stub(response, target)))
                if len(hops) > self.config.check.max_redirects:
                    return done(failure=Failure("too_many_redirects", f"more than {len(hops) - 1} redirects"))
                current = target
                continue
            return done(response=response)


def _allow_open_files(wanted: int) -> int:
    """Raise this process's soft limit on open files towards `wanted` (as far as the hard limit allows):
    1,024 on many systems, 256 on macOS, below what a run over hundreds of hosts keeps open. Returns the
    limit now in force (`wanted` where there is none to read)."""
    try:
        import resource
    except ImportError:  # Windows: no such limit to raise
        return wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return wanted if soft == resource.RLIM_INFINITY else soft
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
