"""The one place that turns httpx and OS exceptions into our error classes (FetchError).

The wire (aiohttp) raises httpx's exceptions with its own and the OS's as their causes.

Nothing else in the crawler catches `httpx.*` exceptions for what the network did: `fetch` wraps every
exchange and hands whatever escapes to `map_error`.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator

import httpx

from pipeline.crawl.facts import Failure


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
    """Raised by the wire's resolver when a name has no public address (nothing is connected to)."""


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


def map_error(exc: BaseException) -> FetchError:
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
        # aiohttp's certificate and TLS errors are ssl's too, without ssl's attributes; theirs come next.
        if isinstance(cause, ssl.SSLCertVerificationError) and hasattr(cause, "verify_message"):
            return FetchError("tls", cause.verify_message or str(cause))
        if isinstance(cause, ssl.SSLError) and hasattr(cause, "reason"):
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
