"""The soft-404 fingerprint: what a host serves for a random path that cannot exist, and whether a page
is that same answer. Pure; the runner fetches the made-up path, classify compares.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from urllib.parse import unquote

from pipeline.crawl import html
from pipeline.crawl.facts import Fetched, Probe, Response
from pipeline.crawl.redirects import is_home, path_of, same_site
from pipeline.status import Evidence, Outcome, Status

SAME_PAGE_RATIO = 0.97  # texts this similar (after dropping digits and the paths) are one page
_COMPARED = 4000  # characters of each text compared


def normal_text(text: str, *, drop: tuple[str, ...] = ()) -> str:
    """Text reduced for "is this the same page": lower case, no digits, the request path removed."""
    text = text.lower()
    for token in drop:
        if len(token) >= 3:
            text = text.replace(token.lower(), " ")
    return re.sub(r"\s+", " ", re.sub(r"\d+", "0", text)).strip()


def same_page(a: str, b: str) -> bool:
    if a == b:
        return True
    a, b = a[:_COMPARED], b[:_COMPARED]
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return matcher.quick_ratio() >= SAME_PAGE_RATIO and matcher.ratio() >= SAME_PAGE_RATIO


def path_tokens(url: str) -> tuple[str, ...]:
    """The pieces of a URL path a page may echo back ("No page named <slug>")."""
    path = unquote(path_of(url))
    segments = [s for s in path.split("/") if s]
    return (path, *segments, *(s.replace("-", " ").replace("_", " ") for s in segments))


def lands_on_other_home(fetched: Fetched) -> bool:
    """A deep link redirected to the home page of another host (a domain sold, merged or shut down?)."""
    response = fetched.response
    return (
        response is not None
        and bool(fetched.hops)
        and not is_home(path_of(fetched.url))
        and is_home(path_of(response.url))
        and not same_site(fetched.url, response.url)
    )


def probe_origin(fetched: Fetched) -> str:
    """The URL whose host to probe: the original host when the redirects left it for a home page."""
    return fetched.url if lands_on_other_home(fetched) else fetched.final_url


def wants_probe(fetched: Fetched, outcome: Outcome) -> bool:
    """A random-path probe can only turn an ok HTML page on a deep path into a soft 404."""
    response = fetched.response
    if outcome.status in (Status.OK, Status.REDIRECTED) and lands_on_other_home(fetched):
        # Only if the old host sends a made-up path to the same home page is the link dead; a
        # shortener or a deliberate link to another site's front page is not.
        return response is not None and response.body is not None and response.is_html
    return (
        outcome.status in (Status.OK, Status.REDIRECTED)
        and response is not None
        and response.body is not None
        and response.is_html
        and not is_home(path_of(response.url))
    )


def probe_from(fetched: Fetched) -> Probe:
    """Reduce a fetch of a made-up path to what comparisons need."""
    response = fetched.response
    if response is None:
        return Probe(url=fetched.url, status=None)
    text = title = None
    if 200 <= response.status < 300 and response.body is not None and response.is_html:
        facts = response.facts
        text, title = facts.text, facts.title
    return Probe(
        url=fetched.url,
        status=response.status,
        final_url=response.url,
        redirected=bool(fetched.hops),
        text=text,
        title=title,
        tokens=path_tokens(fetched.url) + path_tokens(response.url),
    )


def probe_can_matter(probe: Probe) -> bool:
    """Whether classifying with this probe can differ from classifying without it: not when the host
    answers missing pages honestly (or the probe failed), the usual case."""
    return probe.status is not None and 200 <= probe.status < 300


def same_as_missing(
    fetched: Fetched, response: Response, facts: html.PageFacts, probe: Probe, *, app_text_min: int
) -> Evidence | None:
    """Evidence that the page is what the host serves for a path that cannot exist, or None."""
    if not probe_can_matter(probe):
        return None  # nothing to compare
    if fetched.hops and probe.redirected and probe.final_url == response.url and response.url != fetched.url:
        return Evidence(
            "same-as-missing-page", f"redirects where a made-up path does too ({probe.final_url})"
        )
    if probe.text is None or facts.app_shell or (facts.text_length < app_text_min and facts.scripts):
        return None  # a JS app serves one shell for every path: identical shells prove nothing
    # A short page without scripts is all there is to it: the same short page for a made-up path is a
    # catch-all, however little it says.
    # Each page may echo its own path ("no page named <slug>"): drop both paths from both texts.
    drop = path_tokens(fetched.url) + path_tokens(response.url) + probe.tokens
    # Same title and (nearly) the same text: a real page shares boilerplate with the home page, never both.
    if normal_text(facts.title, drop=drop) == normal_text(probe.title or "", drop=drop) and same_page(
        normal_text(facts.text, drop=drop), normal_text(probe.text, drop=drop)
    ):
        return Evidence("same-as-missing-page", f"identical to what the host serves for {probe.url}")
    return None
