"""A small, hostile-capable HTTP server for the crawler's integration tests (and the benchmark).

It listens on several 127.x addresses at one port (each address is a different "host"), runs its own
event loop in a thread, and answers by route: `(ip, path)` first, then `path`, then a per-ip fallback.
Handlers write raw bytes, so a test can trickle, stream forever, lie about lengths or close early.
Everything is bounded: handlers stop when the client goes away or after a time/size cap, and the
thread stops with the fixture.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

CAP_SECONDS = 8.0  # no handler runs longer than this
CAP_BYTES = 64 * 1024 * 1024  # nor writes more than this


@dataclass(frozen=True)
class Request:
    ip: str
    method: str
    path: str
    headers: dict[str, str]


Handler = Callable[[Request, asyncio.StreamWriter], Awaitable[bool]]  # returns "keep the connection"

REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 404: "Not Found", 429: "Too Many Requests"}


def head(status: int, headers: dict[str, str] | None = None, *, length: int | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}"]
    for key, value in (headers or {}).items():
        lines.append(f"{key}: {value}")
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def reply(
    status: int = 200, body: bytes | str = b"", ctype: str = "text/html; charset=utf-8", **headers: str
) -> Handler:
    """A plain answer (no body on HEAD)."""
    data = body.encode() if isinstance(body, str) else body
    extra = {k.replace("_", "-"): v for k, v in headers.items()}

    async def handler(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(head(status, {"Content-Type": ctype, **extra}, length=len(data)))
        if request.method != "HEAD":
            writer.write(data)
        await writer.drain()
        return True

    return handler


def redirect(location: str, status: int = 301) -> Handler:
    return reply(status, b"", location=location)


def sequence(*handlers: Handler) -> Handler:
    """A different answer each time (the last one repeats): flaky servers, Retry-After then OK."""
    calls = {"n": 0}

    async def handler(request: Request, writer: asyncio.StreamWriter) -> bool:
        chosen = handlers[min(calls["n"], len(handlers) - 1)]
        calls["n"] += 1
        return await chosen(request, writer)

    return handler


def by_method(**handlers: Handler) -> Handler:
    async def handler(request: Request, writer: asyncio.StreamWriter) -> bool:
        return await handlers[request.method.lower()](request, writer)

    return handler


def recorded(log: list, what: Callable[[Request], object], inner: Handler) -> Handler:
    """inner, noting `what(request)` of every request it answers in log, in the order they came."""

    async def handler(request: Request, writer: asyncio.StreamWriter) -> bool:
        log.append(what(request))
        return await inner(request, writer)

    return handler


def slow(delay: float, inner: Handler) -> Handler:
    async def handler(request: Request, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(delay)
        return await inner(request, writer)

    return handler


def endless(chunk: bytes = b"<p>" + b"x" * 65_000, ctype: str = "text/html") -> Handler:
    """A body that never ends (until the client leaves or the cap)."""

    async def handler(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(head(200, {"Content-Type": ctype, "Connection": "close"}))
        sent, until = 0, time.monotonic() + CAP_SECONDS
        while sent < CAP_BYTES and time.monotonic() < until:
            writer.write(chunk)
            sent += len(chunk)
            await writer.drain()
        return False

    return handler


def trickle(interval: float = 0.2) -> Handler:
    """Promises a body and sends one byte at a time, forever (until the cap)."""

    async def handler(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(head(200, {"Content-Type": "text/html"}, length=1_000_000))
        until = time.monotonic() + CAP_SECONDS
        while time.monotonic() < until:
            writer.write(b"x")
            await writer.drain()
            await asyncio.sleep(interval)
        return False

    return handler


@dataclass
class Stats:
    hits: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (ip, method, path)
    active: Counter[str] = field(default_factory=Counter)
    peak: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)  # 429s sent by the concurrency guard


@dataclass
class LoopbackServer:
    ips: tuple[str, ...] = ("127.0.0.2", "127.0.0.3")
    tls: ssl.SSLContext | None = None
    max_concurrent: int | None = None  # answer 429 beyond this many requests in flight per ip
    routes: dict[object, Handler] = field(default_factory=dict)
    fallback: dict[str, Handler] = field(default_factory=dict)  # per ip, for unknown paths
    stats: Stats = field(default_factory=Stats)
    port: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _servers: list[asyncio.Server] = field(default_factory=list)

    def route(self, path: str, handler: Handler, ip: str | None = None) -> str:
        self.routes[(ip, path) if ip else path] = handler
        return self.url(path, ip)

    def url(self, path: str, ip: str | None = None) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{ip or self.ips[0]}:{self.port}{path}"

    def hits(self, path: str, method: str | None = None, ip: str | None = None) -> int:
        return sum(
            n
            for (i, m, p), n in self.stats.hits.items()
            if p == path and (method is None or m == method) and (ip is None or i == ip)
        )

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> LoopbackServer:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        wanted = self.port  # a restart after stop() binds the same port again: URLs given out stay valid

        async def boot() -> None:
            for attempt in range(20):
                try:
                    first = await asyncio.start_server(self._serve, self.ips[0], wanted, ssl=self.tls)
                    self.port = first.sockets[0].getsockname()[1]
                    servers = [first]
                    for ip in self.ips[1:]:
                        servers.append(await asyncio.start_server(self._serve, ip, self.port, ssl=self.tls))
                    self._servers = servers
                    return
                except OSError:
                    for server in locals().get("servers", []):
                        server.close()
                    if attempt == 19:
                        raise

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(boot())
            ready.set()
            self._loop.run_forever()
            pending = asyncio.all_tasks(self._loop)
            for task in pending:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self._loop.close()

        self._thread = threading.Thread(target=run, name="loopback-server", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the test server did not start")
        return self

    def stop(self) -> None:
        if self._loop is None:
            return

        def shutdown() -> None:
            for server in self._servers:
                server.close()
            self._loop.stop()  # type: ignore[union-attr]

        self._loop.call_soon_threadsafe(shutdown)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- serving ---------------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        ip = writer.get_extra_info("sockname")[0]
        try:
            while True:
                try:
                    first = await asyncio.wait_for(reader.read(1), CAP_SECONDS)
                    if first == b"\x16" and self.tls is None:
                        return  # a TLS handshake on a plain-HTTP port: refused at once, as real servers do
                    line = first + await asyncio.wait_for(reader.readline(), CAP_SECONDS)
                except (TimeoutError, ConnectionError, ssl.SSLError):
                    return
                if not line:
                    return
                method, target, _ = line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while (raw := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    key, _, value = raw.decode("latin-1").partition(":")
                    headers[key.strip().lower()] = value.strip()
                request = Request(ip, method, target, headers)
                self.stats.hits[(ip, method, target)] += 1
                self.stats.active[ip] += 1
                self.stats.peak[ip] = max(self.stats.peak[ip], self.stats.active[ip])
                try:
                    if self.max_concurrent is not None and self.stats.active[ip] > self.max_concurrent:
                        self.stats.refused[ip] += 1
                        handler = reply(429, "slow down", retry_after="1")
                    else:
                        handler = self.routes.get((ip, target)) or self.routes.get(target)
                        handler = (
                            handler or self.fallback.get(ip) or reply(404, "<title>404 Not Found</title>")
                        )
                    keep = await asyncio.wait_for(handler(request, writer), CAP_SECONDS + 1)
                finally:
                    self.stats.active[ip] -= 1
                if not keep:
                    return
        except (ConnectionError, TimeoutError, ssl.SSLError, ValueError):
            return
        finally:
            with contextlib.suppress(Exception):
                writer.close()
                # Closed before the server's loop is: a TLS connection's close takes a few turns of it,
                # and one still closing when the loop stops is reported unclosed in a later test.
                await asyncio.wait_for(writer.wait_closed(), 1)
