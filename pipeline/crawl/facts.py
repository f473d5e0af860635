"""The facts one fetch produces: the last response, a failure, the redirects followed, a soft-404 probe.

fetch.py produces them, classify.py judges them; neither owns them. Pure values, no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

from pipeline.crawl import html
from pipeline.status import Hop


@dataclass(frozen=True)
class Response:
    """The last response of a fetch (after redirects)."""

    url: str
    status: int
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # lower-case names
    body: bytes | None = None  # the prefix read (decompressed); None when not read (HEAD)
    truncated: bool = False  # the body was longer than what we read
    method: str = "GET"
    # id/name values of an HTML page past `body`, scanned to the end of the document (up to 16 MB) when a
    # link wanted a #fragment; None when not scanned or longer than that.
    more_anchors: frozenset[str] | None = None

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    @property
    def content_type(self) -> str:
        return self.header("content-type").split(";", 1)[0].strip().lower()

    @property
    def is_html(self) -> bool:
        kind = self.content_type
        if "html" in kind:
            return True
        # Sniffed only without a real type: a browser shows text/plain as text, so an HTML file served
        # raw (a repository's 404.html template) is a file, not a "page not found".
        if kind in {"", "application/octet-stream"} and self.body:
            return html.looks_like_html(self.body)
        return False

    @property
    def has_page(self) -> bool:
        """An HTML body with something in it: a page for the rules to read (facts, markup). Asked of every
        page the fetch process reads: isspace() stops at the first other byte, strip() copied the body."""
        body = self.body or b""
        return bool(body) and not body.isspace() and self.is_html

    @property
    def page(self) -> tuple[str, html.PageFacts]:
        """The body's markup, lower-cased, and its parsed facts (each worked out once, on first use)."""
        return self.markup, self.facts

    @cached_property
    def facts(self) -> html.PageFacts:
        """The body's parsed facts. Parsed once per response, for whoever asks first and every reader after
        (fetch.py's meta-refresh check, each classify, the soft-404 probe), unless a page reader of the
        fetch process worked them out already (pipeline.crawl.readers, remember_facts)."""
        return html.read(self.body or b"", self.header("content-type"))

    @property
    def facts_known(self) -> bool:
        """Whether the facts are worked out already (here, or by a page reader): asking costs no parse."""
        return "facts" in self.__dict__

    def remember_facts(self, facts: html.PageFacts) -> None:
        """The facts html.read gave for this body elsewhere (a page reader): the cache of `facts`."""
        self.__dict__["facts"] = facts

    @cached_property
    def markup(self) -> str:
        """The body's markup, lower-cased (what the rules search for widgets and markers)."""
        return html.decode(self.body or b"", self.header("content-type")).lower()

    @cached_property
    def fingerprint(self) -> str | None:
        """body_fingerprint of the body, once for every verdict given on it."""
        return body_fingerprint(self.body)


@dataclass(frozen=True)
class Failure:
    """The fetch ended without a usable response; `kind` becomes Outcome.error_class."""

    kind: str  # dns, dns_temporary, connect, unreachable, connect_timeout, read_timeout, url_timeout,
    # tls, protocol, unsafe_address, unsupported_scheme, invalid_url, redirect_loop, too_many_redirects
    detail: str
    network: bool = False  # failed below HTTP (no name, refused, unreachable, connect timeout)


@dataclass(frozen=True)
class Fetched:
    """Everything one fetch of one URL produced."""

    url: str  # requested, without fragment
    hops: tuple[Hop, ...] = ()  # redirects followed, in order
    response: Response | None = None
    failure: Failure | None = None
    elapsed_ms: int | None = None

    @property
    def final_url(self) -> str:
        return (
            self.response.url
            if self.response
            else (self.hops[-1].location or self.url)
            if self.hops
            else self.url
        )


@dataclass(frozen=True)
class Probe:
    """What the same host answered for a random path that cannot exist (soft-404 fingerprint)."""

    url: str
    status: int | None  # None: the probe itself failed
    final_url: str | None = None
    redirected: bool = False
    text: str | None = None  # visible text of a 2xx HTML answer
    title: str | None = None  # title of that answer
    tokens: tuple[str, ...] = ()  # pieces of the probe's path, which the answer may echo


def body_fingerprint(body: bytes | None) -> str | None:
    return hashlib.sha256(body).hexdigest() if body is not None else None
