"""URL comparison keys: two spellings of the same page normalise to the same string.

Used to find the same resource listed twice (validate) and by the quality report. The result is a key
for comparing, not a URL to fetch: the fragment and tracking parameters are gone.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote_plus, urlsplit, urlunsplit


def _tracking_lists() -> tuple[frozenset[str], tuple[str, ...]]:
    """(exact names, prefixes) from tracking-parameters.txt, the one list of them."""
    lines = (Path(__file__).with_name("tracking-parameters.txt").read_text(encoding="utf-8")).splitlines()
    names = [line.strip().lower() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return (
        frozenset(n for n in names if not n.endswith("*")),
        tuple(n.removesuffix("*") for n in names if n.endswith("*")),
    )


# Query parameters that only say where a click came from; they never change the page.
TRACKING_PARAMS, TRACKING_PREFIXES = _tracking_lists()
DEFAULT_PORTS = {"http": 80, "https": 443}

_PERCENT = re.compile(r"%[0-9a-fA-F]{2}")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _escape(match: re.Match[str]) -> str:
    """RFC 3986 6.2.2: an escaped unreserved character is that character; other escapes upper-cased."""
    char = chr(int(match.group(0)[1:], 16))
    return char if char in _UNRESERVED else match.group(0).upper()


def is_tracking(name: str) -> bool:
    """Whether a query parameter name is a click tracker (tracking-parameters.txt)."""
    name = unquote_plus(name).lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def tracking_parameters(url: str) -> list[str]:
    """The tracking parameters in url's query, in order (names as written)."""
    try:
        query = urlsplit(url.strip()).query
    except ValueError:
        return []
    names = [pair.partition("=")[0] for pair in query.split("&") if pair]
    return [name for name in names if is_tracking(name)]


def without_tracking(url: str) -> str:
    """url without its tracking parameters; everything else (other parameters and their order, the
    fragment, the spelling) as written."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    kept = [pair for pair in parts.query.split("&") if pair and not is_tracking(pair.partition("=")[0])]
    return urlunsplit(parts._replace(query="&".join(kept)))


def normalise_url(url: str) -> str:
    """Comparison key of url.

    Lower-cases the scheme and host, counts http and https as one (a page served on both is one
    resource), drops a leading `www.`, a trailing dot of the host, the default port, any user:password
    part, trailing slashes of the path, the fragment and tracking parameters (`utm_*`, `fbclid`, `gclid`,
    ...), sorts the remaining query parameters, decodes escaped unreserved characters (`%7E` is `~`)
    and upper-cases the other percent-escapes. A string that is not a URL comes back stripped and
    otherwise unchanged.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")  # .hostname is already lower-case, without user/port
    if host.startswith("www."):
        host = host[4:]
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port is None or DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    if scheme == "http":
        scheme = "https"
    path = parts.path.rstrip("/")
    if "%" in path:
        path = _PERCENT.sub(_escape, path)
    query = ""
    if parts.query:
        kept = sorted(
            pair for pair in parts.query.split("&") if pair and not is_tracking(pair.partition("=")[0])
        )
        query = "&".join(kept)
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")
