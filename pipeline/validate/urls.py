"""What CONTRIBUTING asks of a resource's URL, beyond the schema: no click trackers, nothing local.

    url_issues(url) -> [UrlIssue]      (the validator locates each at the file's `url` value)

Each rule is one function returning an issue or None; the data behind them has one home each:
tracking parameters in pipeline/catalogue/tracking-parameters.txt, non-public addresses in
pipeline.catalogue.addresses (the crawler's safety filter uses the same definition).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from pipeline.catalogue.addresses import local_host_reason
from pipeline.catalogue.urls import tracking_parameters, without_tracking


@dataclass(frozen=True)
class UrlIssue:
    message: str  # what is wrong
    hint: str  # the fix, as concrete as possible
    rule: str  # stable id


def tracking(url: str) -> UrlIssue | None:
    names = tracking_parameters(url)
    if not names:
        return None
    listed = ", ".join(dict.fromkeys(names))
    noun = "parameter" if len(set(names)) == 1 else "parameters"
    return UrlIssue(
        f"the URL carries the click-tracking {noun} {listed}",
        f"use {without_tracking(url)}",
        "tracking-parameter",
    )


def local_address(url: str) -> UrlIssue | None:
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None  # not a URL: the schema says so
    reason = local_host_reason(host) if host else None
    if reason is None:
        return None
    return UrlIssue(
        f"the URL points at a non-public address: {reason}; no reader can open it",
        "use the page's public address (a host name on the internet)",
        "local-address",
    )


RULES: tuple[Callable[[str], UrlIssue | None], ...] = (local_address, tracking)


def url_issues(url: str, *, allow_private_addresses: bool = False) -> list[UrlIssue]:
    """allow_private_addresses: a test catalogue or a local mirror, served on loopback on purpose."""
    rules = [r for r in RULES if not (allow_private_addresses and r is local_address)]
    return [issue for rule in rules if (issue := rule(url)) is not None]
