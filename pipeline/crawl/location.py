"""Where a response sends the browser next: a Location as a browser requests it, a prompt refresh (the
Refresh header or the meta tag)."""

from __future__ import annotations

from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from pipeline.crawl.facts import Response
from pipeline.crawl.html import may_refresh, parse_refresh
from pipeline.crawl.redirects import is_redirect_stub

# A <meta http-equiv=refresh> sooner than this is a redirect (what browsers, search engines and
# parked-domain networks use it for); a later one is a page to read that moves on, or reloads itself.
META_REFRESH_MAX_S = 5.0

_URL_SAFE = "/%:@!$&'()*+,;=~-._?[]"


def escaped(url: str) -> str:
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


def refresh_target(current: str, response: Response) -> str | None:
    """Where a prompt refresh sends the browser, if it sends it elsewhere: the Refresh header (browsers
    follow it as they follow the tag), else the page's <meta http-equiv=refresh>."""
    header = response.header("refresh")
    refresh = parse_refresh(header) if header else None
    page = response.has_page
    # The page is parsed only when it may hold the tag (or a header refresh waits): the parse of a long
    # page is most of what its fetch costs, and the judging that needs it runs in the crawl's process.
    if refresh is None and page and may_refresh(response.body or b""):
        refresh = response.facts.meta_refresh
    if refresh is None:
        return None
    delay, location = refresh
    if delay > META_REFRESH_MAX_S and page and response.facts.text_length > 0:
        return None  # a page to read first; with nothing to read, the wait changes nothing

    try:
        target = urlunsplit(urlsplit(escaped(urljoin(current, location)))._replace(fragment=""))
    except ValueError:
        return None  # an unusable target: judge the page itself
    if urlsplit(target).scheme not in ("http", "https") or target == current:
        return None  # a reload, or somewhere we do not go (javascript:, data:)
    return target


def is_stub(response: Response, target: str) -> bool:
    """The page whose meta refresh sends us to target is a redirect stub: a permanent move
    (redirects.is_redirect_stub)."""
    if not response.body:
        return False
    return is_redirect_stub(response.facts, response.url, target)
