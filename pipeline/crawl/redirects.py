"""What a redirect means, defined once: for the verdict (classify) and for the catalogue fix alike.

- A *permanent* hop is a 301/308, a redirect stub page (a meta refresh and a canonical link to the same
  new address: GitHub Pages' jekyll-redirect-from, Hugo aliases), or any redirect that only upgrades
  http to https on the same host, path and query (sites do that with a 302 as often as with a 301).
- The URL the catalogue should hold is the end of the *leading* run of permanent hops: a move followed
  by a temporary hop (a language or landing page) updates the catalogue to the end of the move.
- A *sign-in URL* is where a site sends a visitor who must log in: common paths, host prefixes and
  query parameters (signals/sign-in.txt), plus the domain rule's own `login_url_patterns`.
- Where a redirect lands: a site's home page, the same site or another one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

from pipeline.config import DomainRule
from pipeline.crawl import html, signals
from pipeline.status import Hop

PERMANENT_REDIRECTS = frozenset({301, 308})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

STUB_TEXT_MAX = 200  # visible characters of a redirect stub ("Redirecting... Click here if you are not")
STUB_DELAY_MAX_S = 1.0  # a stub's refresh is immediate
_INDEX_PATH = re.compile(r"^/(?:(?:index|default|home)(?:\.\w+)?)?$", re.I)
_LOCALE_ROOT = re.compile(r"^/[a-z]{2}(?:[-_][a-z]{2})?/?$", re.I)


def is_permanent_hop(hop: Hop) -> bool:
    """301/308, a redirect stub, or any redirect that only upgrades http to https on the same address."""
    if hop.status in PERMANENT_REDIRECTS or hop.stub:
        return True
    if hop.location is None:
        return False
    a, b = urlsplit(hop.url), urlsplit(hop.location)
    return (
        a.scheme == "http"
        and b.scheme == "https"
        and a.hostname == b.hostname
        and (a.path or "/") == (b.path or "/")
        and a.query == b.query
    )


def is_redirect_stub(facts: html.PageFacts, page_url: str, target: str) -> bool:
    """A page that exists only to send readers on: next to nothing to read, a prompt meta refresh, and a
    canonical link naming the same address as the refresh (what static site generators publish at a
    moved page's old address). Its meta refresh is a permanent move."""
    if facts.canonical is None or facts.meta_refresh is None or facts.text_length > STUB_TEXT_MAX:
        return False
    if facts.meta_refresh[0] > STUB_DELAY_MAX_S:
        return False
    return _same_address(urljoin(page_url, facts.canonical), target)


def _same_address(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme.lower(), (pa.hostname or "").lower(), pa.port, pa.path or "/", pa.query) == (
        pb.scheme.lower(),
        (pb.hostname or "").lower(),
        pb.port,
        pb.path or "/",
        pb.query,
    )


def leading_permanent(hops: Iterable[Hop]) -> tuple[Hop, ...]:
    """The hops of the chain up to its first non-permanent one."""
    run: list[Hop] = []
    for hop in hops:
        if not is_permanent_hop(hop):
            break
        run.append(hop)
    return tuple(run)


def update_target(hops: Iterable[Hop]) -> str | None:
    """Where the catalogue should point: the end of the leading run of permanent redirects, if any."""
    run = leading_permanent(hops)
    return run[-1].location if run else None


def is_login_url(url: str, rule: DomainRule | None = None) -> str | None:
    """The sign-in pattern a URL matches (signals/sign-in.txt: paths, host prefixes and query
    parameters, plus the domain rule's own patterns), or None."""
    parts = urlsplit(url)
    lowered = url.lower()
    for pattern in rule.login_url_patterns if rule else ():
        if pattern.lower() in lowered:
            return pattern
    if m := signals.pattern("sign-in", "path").search((parts.path or "/").lower()):
        return m.group(0)
    host = (parts.hostname or "").lower()
    if prefix := next((p for p in signals.literals("sign-in", "host-prefix") if host.startswith(p)), None):
        return prefix
    if m := signals.pattern("sign-in", "query").search("?" + parts.query.lower()):
        return m.group(0).lstrip("?&")
    return None


def path_of(url: str) -> str:
    return urlsplit(url).path or "/"


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def on_host(host: str, domains: Iterable[str]) -> str | None:
    """The domain of the list that host is, or is a subdomain of."""
    return next((d for d in domains if host == d or host.endswith("." + d)), None)


def is_home(path: str) -> bool:
    """A site's front page: "/", "/index.html", a bare locale root ("/en/", "/pt-br")."""
    return bool(_INDEX_PATH.match(path) or _LOCALE_ROOT.match(path))


def same_site(a: str, b: str) -> bool:
    return host_of(a).removeprefix("www.") == host_of(b).removeprefix("www.")
