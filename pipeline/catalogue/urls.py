"""URL comparison keys: two spellings of the same page normalise to the same string.

Used to find the same resource listed twice (validate) and by the quality report. The result is a key
for comparing, not a URL to fetch: the fragment and tracking parameters are gone.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Query parameters that only say where a click came from; they never change the page.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
    }
)
TRACKING_PREFIXES = ("utm_",)
DEFAULT_PORTS = {"http": 80, "https": 443}

_PERCENT = re.compile(r"%[0-9a-fA-F]{2}")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _escape(match: re.Match[str]) -> str:
    """RFC 3986 6.2.2: an escaped unreserved character is that character; other escapes upper-cased."""
    char = chr(int(match.group(0)[1:], 16))
    return char if char in _UNRESERVED else match.group(0).upper()


def _is_tracking(name: str) -> bool:
    name = name.lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


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
            pair for pair in parts.query.split("&") if pair and not _is_tracking(pair.partition("=")[0])
        )
        query = "&".join(kept)
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")
