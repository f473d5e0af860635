"""Connection pools for the crawler's shared client: one pool per origin, idle ones closed LRU-first."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable

import httpx


class PoolPerHost(httpx.AsyncBaseTransport):
    """A connection pool per origin instead of one shared pool (fetch.py: a wire.Wire each).

    A host's own pool holds at most its per-host limit of connections. Pools with nothing in flight are
    closed, least recently used first, once more than `keep` are open, so finished hosts do not hold
    sockets open until the end of the run (one shared pool would keep every host's idle connections
    until its keep-alive time-out: thousands of sockets on a list of many small hosts).
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
        fresh = pool is None
        if pool is None:
            pool = self._make()
        # In the map and busy before any await: a request to the same host arriving meanwhile uses this
        # pool (instead of making a second one that would replace it, left unclosed), and closing idle
        # pools never picks it.
        self._pools[key] = pool  # most recently used last
        self._busy[key] += 1
        try:
            if fresh:
                await self._close_idle()
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
        idle = [k for k in self._pools if k not in self._busy][: max(0, len(self._pools) - self._keep)]
        # Taken out before the first await: a request to another new host, arriving while these close,
        # must not pick them again.
        for pool in [self._pools.pop(key) for key in idle]:
            await pool.aclose()

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
