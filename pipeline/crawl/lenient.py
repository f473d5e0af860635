"""A response whose head breaks HTTP/1.1's rules, read as a browser reads it.

    await exchange(request, addresses, tls) -> httpx.Response      (the wire's second attempt)
    browser_head(head) -> bytes                                    (the rewrite, pure)

aiohttp's parser refuses some heads that every browser opens: a Content-Length beside
`Transfer-Encoding: chunked` (RFC 9112 6.3: the chunked framing wins), a space before a header's colon,
a line that is no header at all, more than 128 header lines. A page that opens in a browser is no server
error, and after a few nights a "server error" is reported broken. So when aiohttp refuses a head, the wire
asks once more over a connection of its own: the head is read whole (at most MAX_HEAD), rewritten as the
browser understood it, and h11 frames the body (Content-Length, chunked, or up to the close). What is still
wrong then (two different Content-Lengths, a broken chunk, which browsers refuse too) keeps aiohttp's error.

The connection is the wire's in all else: to the addresses its resolver allowed, with its TLS context, no
redirect followed, no content decoded, closed after the one exchange. Errors are httpx's, the cause kept.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import closing, contextmanager

import h11
import httpx

MAX_HEAD = 256 * 1024  # the whole head, all its lines (the wire allows 64 KB a line)
_CHUNK = 64 * 1024
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # a header name (RFC 9110 5.1)


def browser_head(head: bytes) -> bytes:
    """A response head (the status line and the header lines, without the blank line after them) as a
    browser reads it, ending in the blank line: every line ends in CRLF, a folded line joins the one above,
    a line with no header name (no colon, or spaces inside the name) is skipped, blanks around a name are
    dropped, and a Content-Length gives way to a chunked Transfer-Encoding."""
    status, *lines = head.split(b"\n")
    fields: list[tuple[bytes, bytes]] = []
    for line in lines:
        line = line.rstrip(b"\r")
        if line[:1] in (b" ", b"\t"):  # obs-fold: the value of the line above goes on
            if fields:
                fields[-1] = (fields[-1][0], fields[-1][1] + b" " + line.strip(b" \t"))
            continue
        name, colon, value = line.partition(b":")
        name = name.strip(b" \t")
        if colon and _TOKEN.fullmatch(name):
            fields.append((name, value.strip(b" \t")))
    chunked = any(n.lower() == b"transfer-encoding" and b"chunked" in v.lower() for n, v in fields)
    kept = [n + b": " + v for n, v in fields if not (chunked and n.lower() == b"content-length")]
    return b"\r\n".join([status.rstrip(b"\r"), *kept]) + b"\r\n\r\n"


async def exchange(
    request: httpx.Request, addresses: list[str], tls: ssl.SSLContext | None
) -> httpx.Response:
    """The request over a new connection to the first of addresses that answers, its head read as a
    browser reads it. tls: the context of an https URL. The request's own timeouts apply (connect, read)."""
    timeouts: Mapping[str, float | None] = request.extensions.get("timeout", {})
    read_s = timeouts.get("read")
    url = request.url
    host = url.raw_host.decode("ascii")  # an IDN as TLS names it (xn--...)
    reader, writer = await _connect(addresses, url.port or (443 if tls else 80), host, tls, timeouts)
    try:
        with _as_httpx():
            conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD)
            headers = [(k, v) for k, v in request.headers.raw if k.lower() != b"connection"]
            headers.append((b"Connection", b"close"))  # one exchange: a body without a length ends there
            sent = conn.send(h11.Request(method=request.method, target=url.raw_path, headers=headers)) or b""
            if request.content:
                sent += conn.send(h11.Data(data=request.content)) or b""
            writer.write(sent + (conn.send(h11.EndOfMessage()) or b""))
            await asyncio.wait_for(writer.drain(), read_s)
            buffered = b""
            while True:  # informational heads (103 Early Hints) come before the response's own
                buffered, end = await _head(reader, buffered, read_s)
                conn.receive_data(browser_head(buffered[: end.start()]))
                buffered = buffered[end.end() :]
                event = conn.next_event()
                if isinstance(event, h11.Response):
                    break
            conn.receive_data(buffered)  # the start of the body
    except BaseException:
        writer.close()
        raise
    return httpx.Response(
        event.status_code,
        headers=list(event.headers.raw_items()),
        stream=_Body(conn, reader, writer, read_s),
        extensions={"reason_phrase": event.reason},
    )


class _Body(httpx.AsyncByteStream):
    """The body as h11 frames it, still encoded; closing it closes the connection."""

    def __init__(
        self,
        conn: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        read_s: float | None,
    ) -> None:
        self._conn, self._reader, self._writer, self._read_s = conn, reader, writer, read_s

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx(), closing(self._writer):  # read to its end, or failed: the connection is done
            while True:
                event = self._conn.next_event()
                if event is h11.NEED_DATA:
                    self._conn.receive_data(await asyncio.wait_for(self._reader.read(_CHUNK), self._read_s))
                elif isinstance(event, h11.Data):
                    yield bytes(event.data)
                else:  # the end of the message, or of the connection
                    return

    async def aclose(self) -> None:
        self._writer.close()


async def _connect(
    addresses: list[str],
    port: int,
    host: str,
    tls: ssl.SSLContext | None,
    timeouts: Mapping[str, float | None],
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    error: OSError | None = None
    for address in addresses:
        try:
            connecting = asyncio.open_connection(
                address, port, ssl=tls, server_hostname=host if tls else None, limit=_CHUNK
            )
            return await asyncio.wait_for(connecting, timeouts.get("connect"))
        except TimeoutError as timeout:
            raise httpx.ConnectTimeout("no connection in time") from timeout
        except OSError as failed:  # refused, unreachable, TLS (ssl.SSLError): the next address
            error = failed
    raise httpx.ConnectError(str(error) if error else f"{host}: no address") from error


async def _head(
    reader: asyncio.StreamReader, buffered: bytes, read_s: float | None
) -> tuple[bytes, re.Match[bytes]]:
    """buffered, read on until it holds a whole head; and where that head ends."""
    while not (end := _HEAD_END.search(buffered)):
        if len(buffered) > MAX_HEAD:
            raise h11.RemoteProtocolError(f"a response head larger than {MAX_HEAD // 1024} KB")
        chunk = await asyncio.wait_for(reader.read(_CHUNK), read_s)
        if not chunk:
            raise h11.RemoteProtocolError("the server closed the connection inside the response head")
        buffered += chunk
    return buffered, end


@contextmanager
def _as_httpx() -> Iterator[None]:
    try:
        yield
    except h11.RemoteProtocolError as error:
        raise httpx.RemoteProtocolError(str(error)) from error
    except TimeoutError as error:  # a read: never fetch.py's own budget (see wire.py)
        raise httpx.ReadTimeout("read timeout") from error
    except OSError as error:
        raise httpx.ReadError(str(error) or type(error).__name__) from error
