"""The retry policy's rules: which answers are worth another try, how long to back off, Retry-After.

`Fetcher._request` applies them (the loop needs the host state and the URL's time budget).
"""

from __future__ import annotations

import datetime
import time
from email.utils import parsedate_to_datetime

from pipeline.crawl.facts import Response

TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})


def backoff(base_s: float, attempt: int, jitter: float) -> float:
    """Exponential back-off with jitter in [0, 1): base · 2^attempt · (0.5 … 1.5)."""
    return base_s * (2**attempt) * (0.5 + jitter)


def retry_after_s(response: Response) -> float | None:
    """Seconds the server asks us to wait (Retry-After as seconds or HTTP-date), or None."""
    value = response.header("retry-after").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))  # seconds (some servers send "1.5")
    except ValueError:
        pass
    moment = http_date(value)
    if moment is None:
        return None
    # Against the server's own Date when it sends one: a skewed clock on either side cancels out.
    now = http_date(response.header("date"))
    return max(0.0, moment - (now if now is not None else time.time()))


def http_date(value: str) -> float | None:
    """Seconds since the epoch of an HTTP-date (naive dates are UTC), or None when unreadable."""
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()
