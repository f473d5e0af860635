"""Bounded body reading: at most `limit` decoded bytes, a minimum pace, anchors streamed past the prefix.

We decompress ourselves so a compression bomb costs at most `limit` bytes; a trickling body is cut off
by `Pace`; a long HTML page linked with a #fragment is read on for its id/name values only.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

Clock = Callable[[], float]


class Decoder:
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
    """The body arrives more slowly than the minimum rate, or the head never ends (fetch.py): a trickle
    that would hold the run."""


@dataclass
class Pace:
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


class AnchorScanner:
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
class Body:
    data: bytes | None  # at most `limit` decoded bytes; None when the coding is unknown/bad
    truncated: bool = False  # there was more than `limit`
    more_anchors: frozenset[str] | None = None  # id/name values after the prefix, scanned to the end


async def read_body(response: httpx.Response, limit: int, pace: Pace, scan_limit: int = 0) -> Body:
    """The first `limit` decoded bytes; with scan_limit, the id/name values of the rest up to that size."""
    encodings = [
        e.strip().lower() for e in response.headers.get("content-encoding", "").split(",") if e.strip()
    ]
    try:
        decoder = Decoder(encodings[0] if len(encodings) == 1 else ("" if not encodings else "unsupported"))
    except ValueError:
        return Body(None)
    body = bytearray()
    scanner: AnchorScanner | None = None
    decoded = 0
    try:
        async for chunk in response.aiter_raw():
            pace.note(len(chunk))
            if scanner is None:
                body += decoder.feed(chunk, limit - len(body) + 1)
                if len(body) <= limit:
                    continue
                if scan_limit <= limit:
                    return Body(bytes(body[:limit]), True)
                # Past the prefix: go on reading, keeping only the anchors (from the last tag start on).
                scanner = AnchorScanner()
                scanner.feed(bytes(body[max(0, body.rfind(b"<", 0, limit)) :]))
                decoded = len(body)
                del body[limit:]
                chunk = decoder.unconsumed()
            for piece in decoder.feed_all(chunk):
                decoded += len(piece)
                scanner.feed(piece)
                if decoded > scan_limit:
                    return Body(bytes(body), True)  # longer than we scan: anchors beyond it unknown
    except zlib.error:
        return Body(None)
    except (httpx.RemoteProtocolError, httpx.ReadError):
        if not body:
            raise
        # The connection broke off mid-body: a browser shows what arrived, and so do we judge it.
        return Body(bytes(body[:limit]), True)
    except httpx.StreamConsumed:  # an in-memory response (mock transports) arrives already read
        data = response.content
        return Body(data[:limit], len(data) > limit)
    if scanner is not None:
        for piece in decoder.feed_all(b""):
            scanner.feed(piece)
        return Body(bytes(body), True, scanner.close())
    return Body(bytes(body), False)
